"""Procedural shapes: a reproducible stand-in for a face data set with known factors.

Each image shows one shape on a plain background. Binary factors: ``round`` (circle vs square),
``large`` (size), ``red`` (red vs blue fill), ``dark_bg`` (dark vs light background), ``ring``
(a hole of background colour in the middle of the shape). Continuous factor: ``x_pos``
(horizontal position of the centre, 0 = left, 1 = right). Nuisances drawn at render time:
vertical jitter, shade of the fill and background, Gaussian pixel noise.

The labelled train/val splits are correlated like real attributes and never contain the
held-out combinations (default: red circles on a dark background; every pair of attributes is
still seen); the test split and the classifier set are fully crossed (balanced over all binary
combinations), so unseen combinations can be measured honestly. An unlabelled ``pretrain``
split from the natural distribution (held-out combinations rare, not absent) trains the
backbone: a decoder cannot draw what it never saw, but the plugin never sees those labels.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw

from plugen.support import combination_mask

ATTRIBUTES: dict[str, str] = {
    "round": "binary",
    "large": "binary",
    "red": "binary",
    "dark_bg": "binary",
    "ring": "binary",
    "x_pos": "continuous",
}
BINARY = [a for a, k in ATTRIBUTES.items() if k == "binary"]

# Correlations of the latent Gaussian behind the correlated (train/val) factors at strength 1;
# scaled by ``ShapesConfig.correlation``. Positive definite, so any strength in [0, 1] is valid.
_CORRELATIONS = {
    ("round", "red"): -0.5,  # red circles are rare (and held out by default)
    ("large", "dark_bg"): 0.4,
    ("round", "ring"): 0.3,
    ("large", "x_pos"): 0.3,
}
# Marginal prevalence of each binary factor in the correlated splits.
_PREVALENCE = {"round": 0.5, "large": 0.5, "red": 0.4, "dark_bg": 0.5, "ring": 0.35}
# Stream ids: independent random streams derived from ``ShapesConfig.seed``.
_STREAMS = {"train": 1, "val": 2, "test": 3, "classifier": 4, "pretrain": 5}


@dataclass
class ShapesConfig:
    """Settings of the shapes data set (plain values, round-trip to JSON/YAML).

    size: image side in pixels (32 or 64). noise: std of the Gaussian pixel noise on the [0, 1]
    scale. correlation: strength in [0, 1] of the attribute correlations in train/val.
    heldout: combinations of binary attributes (``{name: 0|1}``) absent from train/val.
    """

    size: int = 32
    noise: float = 0.03
    correlation: float = 0.7
    heldout: list[dict[str, int]] = field(
        default_factory=lambda: [{"round": 1, "red": 1, "dark_bg": 1}]
    )
    seed: int = 0

    def __post_init__(self) -> None:
        if self.size not in (32, 64):
            raise ValueError(f"shapes: size must be 32 or 64, got {self.size}")
        if not 0.0 <= self.correlation <= 1.0:
            raise ValueError(f"shapes: correlation must be in [0, 1], got {self.correlation}")
        if self.noise < 0:
            raise ValueError(f"shapes: noise must be >= 0, got {self.noise}")
        for combo in self.heldout:
            bad = [k for k in combo if k not in BINARY]
            if bad or not combo:
                raise ValueError(
                    f"shapes: held-out combination {combo} names {bad or 'nothing'}; "
                    f"expected binary attributes from {BINARY}"
                )
            if any(v not in (0, 1) for v in combo.values()):
                raise ValueError(f"shapes: held-out combination {combo} must use values 0/1")

    def to_dict(self) -> dict:
        return asdict(self)


def _rng(cfg: ShapesConfig, stream: str) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([cfg.seed, _STREAMS[stream]]))


def is_heldout(df: pd.DataFrame, cfg: ShapesConfig) -> np.ndarray:
    """Boolean mask ``(n,)``: rows whose binary attributes match any held-out combination.

    Values are compared after rounding, so classifier probabilities or targets work too.
    """
    return combination_mask(df, cfg.heldout, "is_heldout")


def _correlation_matrix(strength: float) -> np.ndarray:
    names = list(ATTRIBUTES)
    corr = np.eye(len(names))
    for (a, b), r in _CORRELATIONS.items():
        i, j = names.index(a), names.index(b)
        corr[i, j] = corr[j, i] = r * strength
    return corr


def _correlated(n: int, cfg: ShapesConfig, rng: np.random.Generator) -> pd.DataFrame:
    """Gaussian copula: thresholded latent normals give binaries, its CDF gives ``x_pos``."""
    from scipy.special import ndtr  # only the dataset job needs scipy

    corr = _correlation_matrix(cfg.correlation)
    latent = rng.multivariate_normal(np.zeros(len(ATTRIBUTES)), corr, n)
    cols = {}
    for i, (name, kind) in enumerate(ATTRIBUTES.items()):
        u = ndtr(latent[:, i])
        cols[name] = u if kind == "continuous" else (u > 1.0 - _PREVALENCE[name]).astype(float)
    return pd.DataFrame(cols)


def _crossed(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Balanced over all binary combinations (cycled, then shuffled), uniform ``x_pos``."""
    k = len(BINARY)
    codes = rng.permutation(np.arange(n) % 2**k)
    cols = {name: ((codes >> i) & 1).astype(float) for i, name in enumerate(BINARY)}
    cols.update({a: rng.uniform(size=n) for a, kind in ATTRIBUTES.items() if kind == "continuous"})
    return pd.DataFrame(cols)[list(ATTRIBUTES)]


def sample_factors(
    n: int,
    cfg: ShapesConfig,
    rng: np.random.Generator,
    crossed: bool = False,
    exclude_heldout: bool = True,
) -> pd.DataFrame:
    """Draw ``n`` factor rows: float32 columns in :data:`ATTRIBUTES` order.

    crossed=False: correlated; held-out combinations are rejected and redrawn unless
    ``exclude_heldout=False`` (then they keep their natural, rare frequency).
    crossed=True: balanced over all ``2**5`` binary combinations, ``x_pos`` uniform in [0, 1].
    """
    if n < 0:
        raise ValueError(f"sample_factors: n must be >= 0, got {n}")
    if crossed:
        return _crossed(n, rng).astype("float32")
    parts, have = [], 0
    while not parts or have < n:
        part = _correlated(max(2 * (n - have), 16), cfg, rng)
        if exclude_heldout:
            part = part[~is_heldout(part, cfg)]
        parts.append(part)
        have += len(part)
    return pd.concat(parts, ignore_index=True).iloc[:n].reset_index(drop=True).astype("float32")


def _palette(row: pd.Series, shade: float, bg_shade: float) -> tuple[tuple, tuple]:
    fill = np.array([205, 40, 35]) if row["red"] > 0.5 else np.array([45, 95, 215])
    bg = np.array([35, 35, 45]) if row["dark_bg"] > 0.5 else np.array([215, 215, 200])
    fill = np.clip(fill * shade, 0, 255).astype(int)
    bg = np.clip(bg + bg_shade, 0, 255).astype(int)
    return tuple(fill), tuple(bg)


def _draw(row: pd.Series, size: int, dy: float, shade: float, bg_shade: float) -> np.ndarray:
    scale = 4  # supersample, then downsample for anti-aliased edges
    s = size * scale
    fill, bg = _palette(row, shade, bg_shade)
    img = Image.new("RGB", (s, s), bg)
    draw = ImageDraw.Draw(img)
    radius = (0.29 if row["large"] > 0.5 else 0.19) * s
    cx = (0.3 + 0.4 * float(row["x_pos"])) * s
    cy = (0.5 + dy) * s
    box = [cx - radius, cy - radius, cx + radius, cy + radius]
    shape = draw.ellipse if row["round"] > 0.5 else draw.rectangle
    shape(box, fill=fill)
    if row["ring"] > 0.5:
        hole = 0.5 * radius
        shape([cx - hole, cy - hole, cx + hole, cy + hole], fill=bg)
    return np.asarray(img.resize((size, size), Image.Resampling.BOX), dtype=np.float32)


def render(
    factors: pd.DataFrame, cfg: ShapesConfig, seed: int, limit: int | None = None
) -> np.ndarray:
    """Render factor rows into images ``(n, size, size, 3)`` uint8; deterministic for ``seed``.

    ``factors`` needs every column of :data:`ATTRIBUTES` (binary values 0/1, ``x_pos`` in
    [0, 1]); nuisances (vertical jitter, shades, pixel noise) come from ``seed``. ``limit``:
    only the first that many images (the same pixels as in the full rendering).
    """
    missing = [a for a in ATTRIBUTES if a not in factors.columns]
    if missing:
        raise ValueError(f"render: factor column(s) {missing} missing, expected {list(ATTRIBUTES)}")
    n = len(factors)
    rng = np.random.default_rng(seed)
    dy = rng.uniform(-0.06, 0.06, n)
    shade = rng.uniform(0.85, 1.1, n)
    bg_shade = rng.uniform(-20, 20, n)
    n_out = n if limit is None else min(limit, n)
    out = np.empty((n_out, cfg.size, cfg.size, 3), dtype=np.uint8)
    for i, (_, row) in enumerate(factors[list(ATTRIBUTES)].head(n_out).iterrows()):
        img = _draw(row, cfg.size, dy[i], shade[i], bg_shade[i])
        img += rng.normal(0.0, cfg.noise * 255.0, img.shape)
        out[i] = np.clip(np.rint(img), 0, 255)
    return out


def config_from(section: dict, seed: int) -> ShapesConfig:
    """The :class:`ShapesConfig` of the workflow's ``shapes.data`` section and its seed."""
    keys = ("size", "noise", "correlation", "heldout")
    return ShapesConfig(**{k: section[k] for k in keys}, seed=seed)


def counterfactual_images(data: dict, attribute: str, n: int) -> np.ndarray:
    """The first ``n`` test images rendered again with binary ``attribute`` flipped and every
    nuisance (position jitter, shades, pixel noise) the same: uint8 ``(n, H, W, 3)``. The
    pixels where they differ from the real images are those the attribute shows in (what a
    mask must hide to hide it). ``data``: the ``shapes.data`` section plus the run's ``seed``."""
    if attribute not in BINARY:
        raise ValueError(f"counterfactual_images: {attribute!r} is not one of {BINARY}")
    cfg = config_from(data, data["seed"])
    rng = _rng(cfg, "test")
    factors = sample_factors(data["n_test"], cfg, rng, crossed=True)
    seed = int(rng.integers(2**31))
    factors[attribute] = 1.0 - factors[attribute]
    return render(factors, cfg, seed, limit=n)


def _split(n: int, split: str, cfg: ShapesConfig, prefix: str, **sampling: bool) -> tuple:
    rng = _rng(cfg, split)
    factors = sample_factors(n, cfg, rng, **sampling)
    images = render(factors, cfg, seed=int(rng.integers(2**31)))
    df = pd.DataFrame({"id": [f"{prefix}{i:06d}" for i in range(n)], "split": split})
    return pd.concat([df, factors], axis=1), images


def make_dataset(
    n_train: int, n_val: int, n_test: int, cfg: ShapesConfig, n_pretrain: int = 0
) -> tuple[pd.DataFrame, np.ndarray]:
    """The data set: (table, images ``(n, size, size, 3)`` uint8), rows aligned.

    Table columns: ``id`` (str), ``split``, one float32 column per attribute. Splits:
    ``train``/``val``: correlated, labelled, without ``cfg.heldout`` (what PluGeN learns from);
    ``test``: fully crossed, labelled; ``pretrain`` (last, ``n_pretrain`` rows): unlabelled
    images (attributes NaN) from the natural correlated distribution, held-out combinations
    included at their rare natural rate, for training the backbone, like a VAE pretrained on
    all of CelebA: a decoder cannot draw a combination it never saw, while the plugin must
    still produce it without ever seeing its label.
    """
    parts = [
        _split(n_train, "train", cfg, "train_"),
        _split(n_val, "val", cfg, "val_"),
        _split(n_test, "test", cfg, "test_", crossed=True),
    ]
    if n_pretrain:
        pre, images = _split(n_pretrain, "pretrain", cfg, "pretrain_", exclude_heldout=False)
        pre[list(ATTRIBUTES)] = np.float32("nan")
        parts.append((pre, images))
    df = pd.concat([p[0] for p in parts], ignore_index=True)
    return df, np.concatenate([p[1] for p in parts])


def make_classifier_set(n: int, cfg: ShapesConfig) -> tuple[pd.DataFrame, np.ndarray]:
    """A separate fully crossed rendering for the external classifier (own seed stream).

    Returns (table with ``id``, ``split`` = ``"classifier"`` and attributes, images uint8).
    """
    return _split(n, "classifier", cfg, "clf_", crossed=True)
