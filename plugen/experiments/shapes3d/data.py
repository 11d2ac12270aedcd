"""Procedural 3D point clouds: superquadric solids and supertoroids with known factors.

Each cloud is ``n_points`` points drawn uniformly (by area) from the surface of one shape,
Barr's spherical product of two superellipses ``|x|^p + |y|^p = 1`` with ``p = 2 / eps``:

- ``round`` (binary): ``eps`` in [0.85, 1] (ellipsoid-like) vs [0.2, 0.33] (box-like);
- ``hollow`` (binary): a supertoroid (a ring around the z axis) vs a solid superellipsoid;
- ``tall`` (binary): z half-height 1.3-1.7 times the (geometric mean) horizontal half-width vs
  0.5-0.7 times;
- ``aspect`` (continuous, [0, 1]): elongation, x half-width / y half-width = ``2 ** aspect``;
- ``taper`` (continuous, [0, 1]): Barr's linear taper along z, cross-sections scaled by
  ``1 + 0.6 * taper * z / height`` (narrow bottom, wide top).

Nuisances drawn per cloud: ``eps`` within its class, the height within its class and, for
rings, the ring-to-tube radius ratio (2-3). Clouds are axis-aligned and
normalised like PointNet's data: centroid at the origin, farthest point at distance 1.

Every factor can be read back from the cloud (:func:`measure`, the analytic half of a judge).
The labelled train/val splits are correlated like real attributes and never contain the
held-out combinations (default: round rings); the test split is fully crossed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from plugen.support import combination_mask

ATTRIBUTES: dict[str, str] = {
    "round": "binary",
    "hollow": "binary",
    "tall": "binary",
    "aspect": "continuous",
    "taper": "continuous",
}
BINARY = [a for a, k in ATTRIBUTES.items() if k == "binary"]

ROUND_EPS = (0.85, 1.0)  # superellipse exponent eps of round shapes (p = 2 / eps)
BOXY_EPS = (0.2, 0.33)
MAX_TAPER = 0.6  # taper = 1 scales the top by 1.6 and the bottom by 0.4
TALL_HEIGHT = (1.3, 1.7)  # z half-height / horizontal half-width of tall shapes
FLAT_HEIGHT = (0.5, 0.7)
RING_RATIO = (2.0, 3.0)  # ring radius / tube radius of the supertoroids (nuisance)
OVERSAMPLE = 8  # candidate points per kept point (area-weighted draw without replacement)

# Measurement thresholds (midway between the classes' ranges of the statistic; see measure).
# In 2000 crossed renderings: corner <= 1.50 (round), >= 1.76 (boxy); gap <= 0.17 (solids),
# >= 0.30 (rings).
ROUND_L1 = 1.63  # max |x| + |y| of a cross-section scaled to [-1, 1]^2: sqrt(2) round, 2 square
HOLLOW_GAP = 0.23  # smallest distance of a point from the z axis (same scaling)
TALL_RATIO = 1.0  # z half-height / horizontal half-width, the taper undone: between 0.7 and 1.3
TAPER_BINS = np.linspace(0.2, 0.8, 7)  # |z| bins comparing the top's and bottom's widths

_CORRELATIONS = {
    ("round", "hollow"): -0.5,  # round rings are rare (and held out by default)
    ("aspect", "taper"): 0.4,
    ("tall", "round"): 0.3,
    ("hollow", "aspect"): 0.3,
}
_PREVALENCE = {"round": 0.5, "hollow": 0.5, "tall": 0.5}
_STREAMS = {"train": 1, "val": 2, "test": 3, "classifier": 4}


@dataclass
class Shapes3DConfig:
    """Settings of the point-cloud data set (plain values, round-trip to JSON/YAML).

    n_points: points per cloud. correlation: strength in [0, 1] of the attribute correlations
    in train/val. heldout: combinations of binary attributes (``{name: 0|1}``) absent from
    train/val. seed: the data set's seed (each split has its own stream).
    """

    n_points: int = 512
    correlation: float = 0.7
    heldout: list[dict[str, int]] = field(default_factory=lambda: [{"round": 1, "hollow": 1}])
    seed: int = 0

    def __post_init__(self) -> None:
        if self.n_points < 16:
            raise ValueError(f"shapes3d: n_points must be >= 16, got {self.n_points}")
        if not 0.0 <= self.correlation <= 1.0:
            raise ValueError(f"shapes3d: correlation must be in [0, 1], got {self.correlation}")
        for combo in self.heldout:
            bad = [k for k in combo if k not in BINARY]
            if bad or not combo or any(v not in (0, 1) for v in combo.values()):
                raise ValueError(
                    f"shapes3d: held-out combination {combo} must map binary attributes "
                    f"from {BINARY} to 0/1"
                )

    def to_dict(self) -> dict:
        return asdict(self)


# --------------------------------------------------------------------------- attributes
def is_heldout(labels: pd.DataFrame, cfg: Shapes3DConfig) -> np.ndarray:
    """Boolean mask ``(n,)``: rows whose binary attributes (rounded) match a held-out
    combination. Raises ValueError when a column the combinations name is missing."""
    return combination_mask(labels, cfg.heldout, "is_heldout")


def _correlated(n: int, strength: float, rng: np.random.Generator) -> pd.DataFrame:
    """Gaussian copula: thresholded latent normals give binaries, their CDF continuous ones."""
    from scipy.special import ndtr

    names = list(ATTRIBUTES)
    corr = np.eye(len(names))
    for (a, b), r in _CORRELATIONS.items():
        corr[names.index(a), names.index(b)] = corr[names.index(b), names.index(a)] = r * strength
    u = ndtr(rng.multivariate_normal(np.zeros(len(names)), corr, n))
    cols = {
        a: u[:, i] if kind == "continuous" else (u[:, i] > 1.0 - _PREVALENCE[a]).astype(float)
        for i, (a, kind) in enumerate(ATTRIBUTES.items())
    }
    return pd.DataFrame(cols)


def _crossed(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Balanced over the binary combinations (cycled, then shuffled); continuous uniform."""
    codes = rng.permutation(np.arange(n) % 2 ** len(BINARY))
    cols = {a: ((codes >> i) & 1).astype(float) for i, a in enumerate(BINARY)}
    cols.update({a: rng.uniform(size=n) for a, k in ATTRIBUTES.items() if k == "continuous"})
    return pd.DataFrame(cols)[list(ATTRIBUTES)]


def sample_attributes(
    n: int, cfg: Shapes3DConfig, rng: np.random.Generator, crossed: bool = False
) -> pd.DataFrame:
    """Draw ``n`` attribute rows: float32 columns in :data:`ATTRIBUTES` order.

    crossed=False: correlated (strength ``cfg.correlation``), held-out combinations rejected
    and redrawn; crossed=True: balanced over every binary combination, continuous uniform in
    [0, 1]. Raises ValueError for ``n < 0``.
    """
    if n < 0:
        raise ValueError(f"sample_attributes: n must be >= 0, got {n}")
    if crossed:
        return _crossed(n, rng).astype("float32")
    parts, have = [], 0
    while not parts or have < n:
        part = _correlated(max(2 * (n - have), 16), cfg.correlation, rng)
        part = part[~is_heldout(part, cfg)]
        parts.append(part)
        have += len(part)
    return pd.concat(parts, ignore_index=True).iloc[:n].reset_index(drop=True).astype("float32")


# --------------------------------------------------------------------------- geometry
def _superellipse(theta: np.ndarray, p: float) -> tuple[np.ndarray, np.ndarray]:
    """Point of ``|x|^p + |y|^p = 1`` in direction ``theta`` (a smooth parametrisation)."""
    c, s = np.cos(theta), np.sin(theta)
    r = (np.abs(c) ** p + np.abs(s) ** p) ** (-1.0 / p)
    return r * c, r * s


def _surface(eta, omega, shape: dict) -> np.ndarray:
    """Surface points ``(k, 3)`` at parameters ``eta`` (latitude) and ``omega`` (longitude)."""
    p = 2.0 / shape["eps"]
    u1, u2 = _superellipse(eta, p)
    v1, v2 = _superellipse(omega, p)
    m1 = u1 + shape["ring"] if shape["hollow"] else u1
    a1, a2, a3 = shape["axes"]
    z = a3 * u2
    scale = 1.0 + shape["taper"] * u2
    return np.stack([a1 * m1 * v1 * scale, a2 * m1 * v2 * scale, z], -1)


def _sample_surface(shape: dict, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` distinct points ``(n, 3)`` uniform by area on a shape's surface: candidates
    uniform in the parameters, drawn without replacement with weight = the area element
    ``|dX/d eta x dX/d omega|`` (central differences)."""
    k = OVERSAMPLE * n
    lo = -np.pi if shape["hollow"] else -np.pi / 2
    eta = rng.uniform(lo, -lo, k)
    omega = rng.uniform(-np.pi, np.pi, k)
    h = 1e-5
    d_eta = _surface(eta + h, omega, shape) - _surface(eta - h, omega, shape)
    d_omega = _surface(eta, omega + h, shape) - _surface(eta, omega - h, shape)
    area = np.linalg.norm(np.cross(d_eta, d_omega), axis=-1) + 1e-12
    keep = rng.choice(k, n, replace=False, p=area / area.sum())
    return _surface(eta[keep], omega[keep], shape)


def normalize(clouds: np.ndarray) -> np.ndarray:
    """Clouds ``(n, P, 3)`` centred on their centroid and scaled so the farthest point is at
    distance 1 (PointNet's per-shape normalisation); float32."""
    centred = clouds - clouds.mean(1, keepdims=True)
    radius = np.linalg.norm(centred, axis=-1).max(1)[:, None, None]
    return (centred / radius).astype(np.float32)


def render(
    cfg: Shapes3DConfig, n: int, seed: int, attributes: pd.DataFrame | None = None
) -> tuple[np.ndarray, pd.DataFrame]:
    """Render ``n`` clouds: (float32 ``(n, n_points, 3)``, labels); deterministic for ``seed``.

    attributes: rows with every column of :data:`ATTRIBUTES` (binary 0/1, continuous in
    [0, 1]); None draws a fully crossed set from ``seed``. Labels are those rows (float32, in
    :data:`ATTRIBUTES` order, index 0..n-1). Raises ValueError for missing columns or a row
    count other than ``n``.
    """
    rng = np.random.default_rng(seed)
    if attributes is None:
        attributes = sample_attributes(n, cfg, rng, crossed=True)
    missing = [a for a in ATTRIBUTES if a not in attributes.columns]
    if missing:
        raise ValueError(f"render: attribute column(s) {missing} missing")
    if len(attributes) != n:
        raise ValueError(f"render: {len(attributes)} attribute rows for n = {n}")
    labels = attributes[list(ATTRIBUTES)].reset_index(drop=True).astype("float32")
    clouds = np.empty((n, cfg.n_points, 3))
    for i, row in enumerate(labels.itertuples(index=False)):
        eps_range = ROUND_EPS if row.round > 0.5 else BOXY_EPS
        elongation = np.sqrt(2.0 ** float(row.aspect))
        hollow, ring = row.hollow > 0.5, rng.uniform(*RING_RATIO)
        height = rng.uniform(*(TALL_HEIGHT if row.tall > 0.5 else FLAT_HEIGHT))
        shape = {
            "eps": rng.uniform(*eps_range),
            "hollow": hollow,
            "ring": ring,
            # the half-width of a ring is (ring + 1) tube radii
            "axes": (elongation, 1.0 / elongation, height * (ring + 1.0 if hollow else 1.0)),
            "taper": MAX_TAPER * float(row.taper),
        }
        clouds[i] = _sample_surface(shape, cfg.n_points, rng)
    return normalize(clouds), labels


# --------------------------------------------------------------------------- measurement
def _taper(z: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Taper ``t`` per cloud from box-normalised heights ``z`` and radii ``r`` ``(n, P)``: in
    each |z| bin, the widest top and bottom radii are ``w (1 +- t z)``; the bins' estimates of
    ``t`` are averaged (empty bins skipped)."""
    estimates = []
    for lo, hi in zip(TAPER_BINS[:-1], TAPER_BINS[1:]):
        top = np.where((z >= lo) & (z < hi), r, -np.inf).max(1)
        bottom = np.where((-z >= lo) & (-z < hi), r, -np.inf).max(1)
        with np.errstate(invalid="ignore"):
            estimates.append((top - bottom) / (top + bottom) / ((lo + hi) / 2))
    estimates = np.array(estimates)
    estimates[~np.isfinite(estimates)] = np.nan
    with np.errstate(all="ignore"):
        return np.nan_to_num(np.nanmean(estimates, 0), nan=0.0)


def statistics(clouds: np.ndarray) -> pd.DataFrame:
    """The raw measurements behind :func:`measure`, one row per cloud ``(n, P, 3)``.

    In box-normalised coordinates (each axis scaled to [-1, 1]): ``elongation`` = log2 of the
    x/y half-widths; ``taper`` = ``t`` of the cross-section scale ``1 + t z``; after undoing
    that taper: ``corner`` = max ``|x| + |y|`` (sqrt 2 for round cross-sections, towards 2 for
    square ones) and ``gap`` = the smallest distance of a point from the z axis (0 for solids,
    the hole for rings); ``height`` = the z half-extent over the geometric mean of the x and y
    half-extents, times ``1 + t`` (the widest cross-section's taper undone). Raises ValueError
    for other shapes.
    """
    clouds = np.asarray(clouds, dtype=np.float64)
    if clouds.ndim != 3 or clouds.shape[-1] != 3 or clouds.shape[1] == 0:
        raise ValueError(f"statistics: clouds have shape {clouds.shape}, expected (n, P, 3)")
    lo, hi = clouds.min(1, keepdims=True), clouds.max(1, keepdims=True)
    half = np.maximum((hi - lo) / 2, 1e-12)
    q = (clouds - (hi + lo) / 2) / half
    t = np.clip(_taper(q[..., 2], np.hypot(q[..., 0], q[..., 1])), -0.9, 0.9)
    xy = q[..., :2] / (1.0 + t[:, None, None] * q[..., 2:])
    xy /= np.maximum(np.abs(xy).max(1, keepdims=True), 1e-12)
    return pd.DataFrame(
        {
            "elongation": np.log2(half[:, 0, 0] / half[:, 0, 1]),
            "taper": t,
            "corner": np.abs(xy).sum(-1).max(1),
            "gap": np.hypot(xy[..., 0], xy[..., 1]).min(1),
            "height": half[:, 0, 2] / np.sqrt(half[:, 0, 0] * half[:, 0, 1]) * (1 + np.abs(t)),
        }
    )


def measure(clouds: np.ndarray) -> pd.DataFrame:
    """Analytic estimates of every attribute of clouds ``(n, P, 3)``: float32 columns in
    :data:`ATTRIBUTES` order, binary ones 0/1, continuous ones in label units.

    ``round`` = corner below :data:`ROUND_L1`; ``hollow`` = gap above :data:`HOLLOW_GAP`;
    ``tall`` = height above :data:`TALL_RATIO`; ``aspect`` = the log2 elongation; ``taper`` =
    ``t / MAX_TAPER`` (:func:`statistics`).
    Invariant to translation and scale. Raises ValueError for other shapes.
    """
    stats = statistics(clouds)
    return pd.DataFrame(
        {
            "round": (stats["corner"] < ROUND_L1).astype(float),
            "hollow": (stats["gap"] > HOLLOW_GAP).astype(float),
            "tall": (stats["height"] > TALL_RATIO).astype(float),
            "aspect": stats["elongation"],
            "taper": stats["taper"] / MAX_TAPER,
        }
    ).astype("float32")


# --------------------------------------------------------------------------- the data set
def _split(
    n: int, stream: str, cfg: Shapes3DConfig, prefix: str, crossed: bool, split: str | None = None
) -> tuple:
    """One split drawn from its own seed ``stream``; its rows say ``split`` (default: the
    stream's name)."""
    rng = np.random.default_rng(np.random.SeedSequence([cfg.seed, _STREAMS[stream]]))
    attributes = sample_attributes(n, cfg, rng, crossed=crossed)
    clouds, labels = render(cfg, n, int(rng.integers(2**31)), attributes)
    ids = pd.DataFrame({"id": [f"{prefix}{i:06d}" for i in range(n)], "split": split or stream})
    return pd.concat([ids, labels], axis=1), clouds


def make_dataset(
    n_train: int, n_val: int, n_test: int, cfg: Shapes3DConfig
) -> tuple[pd.DataFrame, np.ndarray]:
    """The data set: (table, clouds float32 ``(n, n_points, 3)``), rows aligned.

    Table columns: ``id`` (str), ``split``, one float32 column per attribute. ``train`` and
    ``val``: correlated, without ``cfg.heldout``; ``test``: fully crossed.
    """
    parts = [
        _split(n_train, "train", cfg, "train_", crossed=False),
        _split(n_val, "val", cfg, "val_", crossed=False),
        _split(n_test, "test", cfg, "test_", crossed=True),
    ]
    table = pd.concat([p[0] for p in parts], ignore_index=True)
    return table, np.concatenate([p[1] for p in parts])


def make_classifier_set(n: int, cfg: Shapes3DConfig) -> tuple[pd.DataFrame, np.ndarray]:
    """A separate fully crossed rendering for a learned judge (own seed stream): (table whose
    rows are all ``split`` = ``"train"``, clouds)."""
    return _split(n, "classifier", cfg, "clf_", crossed=True, split="train")
