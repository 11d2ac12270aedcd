"""Point-cloud distances and the set metrics of generative point-cloud models.

Definitions follow PointFlow (Yang et al. 2019, ``metrics/evaluation_metrics.py``):

- Chamfer distance (CD) between clouds ``a`` ``(P, 3)`` and ``b`` ``(Q, 3)``: the mean over
  ``a``'s points of the squared Euclidean distance to the nearest point of ``b``, plus the same
  from ``b`` to ``a`` (squared distances, means, summed; no square root, no halving).
- Earth mover's distance (EMD) between equal-size clouds: the mean Euclidean (not squared)
  distance between matched points under the optimal one-to-one matching, solved exactly with
  ``scipy.optimize.linear_sum_assignment`` (PointFlow's CPU fallback; its CUDA kernel
  approximates the same quantity).
- Over a distance matrix ``D`` ``(n_generated, n_reference)``: MMD is the mean over reference
  clouds of the distance to their nearest generated cloud; COV is the fraction of reference
  clouds that are the nearest reference of at least one generated cloud; 1-NNA is the
  leave-one-out accuracy of the 1-nearest-neighbour classifier telling the two sets apart
  (0.5 is ideal; 1.0 means the sets are separable; exact copies give 0.0, since every cloud's
  nearest neighbour is its twin in the other set).

Distances are computed in float32 on the CPU (or the device of the inputs) with torch, in blocks
of a few cloud pairs so the ``(P, Q)`` distance tables stay in cache. The tables at the end
(:func:`cloud_metrics_table`, :func:`judge_table`) are what the point-cloud experiments report.
Nothing here knows where the clouds come from.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from plugen.evaluate.metrics import spearman

__all__ = [
    "chamfer",
    "chamfer_batch",
    "coverage",
    "emd",
    "mmd",
    "one_nna",
    "pairwise_chamfer",
    "pairwise_emd",
    "set_metrics",
    "cloud_metrics_table",
    "gaussian_latents",
    "judge_table",
]

BLOCK_BYTES = 4 * 2**20  # distance tables per block: ~4 MiB (4 pairs of 512-point clouds)
METRICS = ("cd", "emd")


def _clouds(x, where: str, batched: bool) -> Tensor:
    """``x`` as a float tensor ``(n, P, 3)`` (batched) or ``(P, 3)``; a ValueError naming
    ``where`` otherwise."""
    t = torch.as_tensor(x)
    if not t.is_floating_point():
        t = t.float()
    want = 3 if batched else 2
    if t.ndim != want or t.shape[-1] != 3 or t.shape[-2] == 0:
        expected = "(n, P, 3)" if batched else "(P, 3)"
        raise ValueError(f"{where}: clouds have shape {tuple(t.shape)}, expected {expected}")
    return t


def _augmented(a: Tensor) -> tuple[Tensor, Tensor]:
    """Left and right factors ``(..., P, 5)`` whose product is the squared distance table:
    ``[a, |a|^2, 1] . [-2 b, 1, |b|^2] = |a - b|^2`` (one matmul, no broadcast temporaries)."""
    sq = (a * a).sum(-1, keepdim=True)
    ones = torch.ones_like(sq)
    return torch.cat([a, sq, ones], -1), torch.cat([-2.0 * a, ones, sq], -1)


def _chamfer_table(d2: Tensor) -> Tensor:
    """Squared distance tables ``(..., P, Q)`` -> Chamfer distances ``(...)``."""
    return d2.amin(-1).clamp(min=0).mean(-1) + d2.amin(-2).clamp(min=0).mean(-1)


def chamfer_batch(a: Tensor, b: Tensor) -> Tensor:
    """Chamfer distance of aligned pairs: ``a`` ``(n, P, 3)``, ``b`` ``(n, Q, 3)`` -> ``(n,)``.

    Differentiable (the autoencoders' loss): the nearest neighbours are found without
    gradients, then the matched squared distances are recomputed from the points, which gives
    the gradient of the minimum (ties go to one neighbour) at a fraction of the cost of
    differentiating through the ``(P, Q)`` table. Memory ``n * P * Q`` floats. Raises ValueError
    for other shapes or unequal ``n``.
    """
    a, b = _clouds(a, "chamfer_batch", True), _clouds(b, "chamfer_batch", True).to(a.dtype)
    if len(a) != len(b):
        raise ValueError(f"chamfer_batch: {len(a)} clouds against {len(b)}, expected equal")
    with torch.no_grad():
        left, _ = _augmented(a)
        _, right = _augmented(b)
        d2 = left @ right.transpose(1, 2)
        nearest_in_b, nearest_in_a = d2.argmin(-1), d2.argmin(-2)  # (n, P), (n, Q)

    def matched(x: Tensor, y: Tensor, index: Tensor) -> Tensor:
        y = torch.gather(y, 1, index[..., None].expand(-1, -1, 3))
        return ((x - y) ** 2).sum(-1).mean(-1)

    return matched(a, b, nearest_in_b) + matched(b, a, nearest_in_a)


def chamfer(a, b) -> float:
    """Chamfer distance between two clouds ``(P, 3)`` and ``(Q, 3)`` (numpy or torch).

    PointFlow's convention: mean squared nearest-neighbour distance from ``a`` to ``b`` plus
    from ``b`` to ``a``. Raises ValueError for other shapes.
    """
    a, b = _clouds(a, "chamfer", False), _clouds(b, "chamfer", False)
    with torch.no_grad():
        return float(chamfer_batch(a[None].double(), b[None].double())[0])


def pairwise_chamfer(x, y=None) -> np.ndarray:
    """Chamfer distances between every cloud of ``x`` ``(n, P, 3)`` and of ``y`` ``(m, Q, 3)``:
    float64 ``(n, m)``. ``y=None`` gives the symmetric ``(n, n)`` table of ``x`` with itself
    (each pair computed once). Cost: about 0.15 ms per pair of 512-point clouds on one CPU
    thread. Raises ValueError for other shapes.
    """
    x = _clouds(x, "pairwise_chamfer", True)
    same = y is None
    y = x if same else _clouds(y, "pairwise_chamfer", True).to(x.dtype)
    out = torch.zeros(len(x), len(y), dtype=torch.float64)
    left, _ = _augmented(x)
    _, right = _augmented(y)
    right = right.transpose(1, 2).contiguous()  # (m, 5, Q)
    block = max(1, BLOCK_BYTES // (4 * x.shape[1] * y.shape[1]))
    with torch.no_grad():
        for i in range(len(x)):
            start = i if same else 0
            for j in range(start, len(y), block):
                out[i, j : j + block] = _chamfer_table(left[i] @ right[j : j + block]).double()
    if same:
        out = torch.triu(out) + torch.triu(out, 1).T
    return out.cpu().numpy()


def emd(a, b) -> float:
    """Exact earth mover's distance between equal-size clouds ``(P, 3)`` (numpy or torch): the
    mean Euclidean distance between points matched one-to-one by the optimal assignment
    (``scipy.optimize.linear_sum_assignment``, float64). Cost: O(P^3); about 50 ms for
    ``P = 512`` on one CPU thread. Raises ValueError for other shapes or unequal sizes.
    """
    from scipy.optimize import linear_sum_assignment  # only EMD needs scipy
    from scipy.spatial.distance import cdist

    a = _clouds(a, "emd", False).double().cpu().numpy()
    b = _clouds(b, "emd", False).double().cpu().numpy()
    if len(a) != len(b):
        raise ValueError(f"emd: clouds have {len(a)} and {len(b)} points, expected equal sizes")
    cost = cdist(a, b)
    rows, cols = linear_sum_assignment(cost)
    return float(cost[rows, cols].mean())


def pairwise_emd(x, y=None) -> np.ndarray:
    """EMD between every cloud of ``x`` ``(n, P, 3)`` and of ``y`` ``(m, P, 3)``: float64
    ``(n, m)``; ``y=None`` gives the symmetric table of ``x`` (each pair solved once). One
    assignment per pair: use few clouds (``set_metrics(..., max_clouds=)``). Raises ValueError
    for other shapes.
    """
    x = _clouds(x, "pairwise_emd", True)
    same = y is None
    y = x if same else _clouds(y, "pairwise_emd", True)
    out = np.zeros((len(x), len(y)))
    for i in range(len(x)):
        for j in range(i + 1 if same else 0, len(y)):
            out[i, j] = emd(x[i], y[j])
    return out + out.T if same else out


def _matrix(d, where: str) -> np.ndarray:
    d = np.asarray(d, dtype=np.float64)
    if d.ndim != 2 or 0 in d.shape:
        raise ValueError(f"{where}: distances have shape {d.shape}, expected a non-empty (n, m)")
    return d


def mmd(d) -> float:
    """Minimum matching distance of ``d`` ``(n_generated, n_reference)``: the mean over reference
    clouds (columns) of the distance to the nearest generated cloud (row)."""
    return float(_matrix(d, "mmd").min(0).mean())


def coverage(d) -> float:
    """Coverage of ``d`` ``(n_generated, n_reference)``: the fraction of reference clouds
    (columns) that are the nearest reference of at least one generated cloud (row); ties go to
    the first column."""
    d = _matrix(d, "coverage")
    return len(np.unique(d.argmin(1))) / d.shape[1]


def one_nna(d_xx, d_xy, d_yy) -> float:
    """Leave-one-out 1-nearest-neighbour accuracy of telling set X from set Y.

    d_xx ``(n, n)``, d_xy ``(n, m)``, d_yy ``(m, m)``: distances within X, between X and Y,
    within Y. Each of the ``n + m`` clouds is given the set of its nearest other cloud (itself
    excluded; ties go to the first, X before Y); returns the fraction given its own set.
    Raises ValueError when the shapes disagree or there are fewer than 2 clouds.
    """
    d_xx, d_xy, d_yy = (_matrix(d, "one_nna") for d in (d_xx, d_xy, d_yy))
    n, m = d_xy.shape
    if d_xx.shape != (n, n) or d_yy.shape != (m, m):
        raise ValueError(
            f"one_nna: shapes {d_xx.shape}, {d_xy.shape}, {d_yy.shape} disagree, "
            "expected (n, n), (n, m), (m, m)"
        )
    full = np.block([[d_xx, d_xy], [d_xy.T, d_yy]])
    np.fill_diagonal(full, np.inf)
    label = np.r_[np.ones(n, bool), np.zeros(m, bool)]
    return float((label[full.argmin(0)] == label).mean())


def _subset(clouds: Tensor, k: int | None, rng: np.random.Generator) -> Tensor:
    if k is None or len(clouds) <= k:
        return clouds
    return clouds[np.sort(rng.choice(len(clouds), k, replace=False))]


def set_metrics(
    generated,
    reference,
    metric: str = "cd",
    max_clouds: int | None = None,
    seed: int = 0,
    reference_distances: np.ndarray | None = None,
) -> dict[str, float]:
    """MMD, COV and 1-NNA of ``generated`` ``(n, P, 3)`` against ``reference`` ``(m, P, 3)``.

    metric: ``"cd"`` (Chamfer; 200 x 200 clouds of 512 points take about 10 s on one CPU
    thread) or ``"emd"`` (exact EMD; ~50 ms per pair of 512-point clouds, and the three tables
    need about ``(n + m)^2 / 2`` pairs: over an hour for 200 x 200, ~4 min with
    ``max_clouds=50``).
    max_clouds: use a seeded random subset of at most this many clouds of each set.
    reference_distances: the reference set's own distance table ``(m, m)`` when already
    computed (only without ``max_clouds``: scoring several sets against one reference).

    Returns ``{"mmd": ..., "cov": ..., "1nna": ...}``. Raises ValueError for an unknown metric,
    ``max_clouds < 1`` or clouds of other shapes.
    """
    if metric not in METRICS:
        raise ValueError(f"set_metrics: metric must be one of {METRICS}, got {metric!r}")
    if max_clouds is not None and max_clouds < 1:
        raise ValueError(f"set_metrics: max_clouds must be >= 1, got {max_clouds}")
    rng = np.random.default_rng(seed)
    gen = _subset(_clouds(generated, "set_metrics", True), max_clouds, rng)
    ref = _subset(_clouds(reference, "set_metrics", True), max_clouds, rng)
    pairwise: Callable = pairwise_chamfer if metric == "cd" else pairwise_emd
    d_gr = pairwise(gen, ref)
    if reference_distances is not None and max_clouds is None:
        d_rr = _matrix(reference_distances, "set_metrics")
        if d_rr.shape != (len(ref), len(ref)):
            raise ValueError(
                f"set_metrics: reference_distances {d_rr.shape}, expected ({len(ref)}, {len(ref)})"
            )
    else:
        d_rr = pairwise(ref)
    d_gg = pairwise(gen)
    return {"mmd": mmd(d_gr), "cov": coverage(d_gr), "1nna": one_nna(d_gg, d_gr, d_rr)}


# --------------------------------------------------------------------------- tables
def judge_table(
    predictions: pd.DataFrame,
    labels: pd.DataFrame,
    kinds: Mapping[str, str],
    analytic: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per attribute of ``kinds``: the learned judge's (``predictions``:
    ``pred_<attr>`` columns) and an analytic reading's (``analytic``: one column per
    attribute, e.g. measured off the clouds; NaN without one) agreement with the true
    ``labels``: accuracy for binary attributes, Spearman correlation for continuous ones."""
    if analytic is None:
        analytic = pd.DataFrame({a: np.full(len(labels), np.nan) for a in kinds})
    rows = []
    for a, kind in kinds.items():
        truth = labels[a].to_numpy(dtype=float)
        learned = predictions[f"pred_{a}"].to_numpy(dtype=float)
        if kind == "binary":
            row = {
                "metric": "accuracy",
                "classifier": float(((learned > 0.5) == truth).mean()),
                "analytic": float((analytic[a].to_numpy() == truth).mean())
                if analytic[a].notna().all()
                else np.nan,
            }
        else:
            row = {
                "metric": "spearman",
                "classifier": spearman(truth, learned),
                "analytic": spearman(truth, analytic[a].to_numpy(dtype=float)),
            }
        rows.append({"attribute": a, **row, "n": len(truth)})
    return pd.DataFrame(rows)


def cloud_metrics_table(
    sets: Mapping[str, np.ndarray], reference: np.ndarray, emd_clouds: int = 0, seed: int = 0
) -> pd.DataFrame:
    """One row per set of clouds ``(n, P, 3)`` (name -> clouds, in order): MMD, COV and 1-NNA
    under Chamfer distance against ``reference`` ``(m, P, 3)`` (:func:`set_metrics`), and
    under EMD on a seeded subset of ``emd_clouds`` clouds of each set when ``emd_clouds > 0``.
    Columns ``set``, ``n``, ``mmd_cd``, ``cov_cd``, ``1nna_cd`` (``mmd_emd``...)."""
    rows = []
    d_rr = pairwise_chamfer(reference)  # shared by every set
    for name, clouds in sets.items():
        row = {"set": name, "n": len(clouds)}
        cd = set_metrics(clouds, reference, "cd", reference_distances=d_rr)
        row.update({f"{k}_cd": v for k, v in cd.items()})
        if emd_clouds:
            emd = set_metrics(clouds, reference, "emd", max_clouds=emd_clouds, seed=seed)
            row.update({f"{k}_emd": v for k, v in emd.items()})
        rows.append(row)
    return pd.DataFrame(rows)


def gaussian_latents(z: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """``n`` float32 draws from the Gaussian fitted to latents ``z`` ``(m, d)`` (mean and full
    covariance): the unconditional floor of the generated sets."""
    rng = np.random.default_rng(seed)
    z = np.asarray(z, dtype=np.float64)
    return rng.multivariate_normal(z.mean(0), np.cov(z, rowvar=False), n).astype(np.float32)
