"""Pure scoring functions (no scikit-learn) and a tidy per-attribute table.

Inputs are 1-d array-likes of equal length; NaN labels are not removed here (callers decide).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd


def _pair(a, b, name: str) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    if a.shape != b.shape:
        raise ValueError(f"{name}: inputs have lengths {len(a)} and {len(b)}, expected equal")
    return a, b


def rankdata(x) -> np.ndarray:
    """1-based ranks of ``x`` ``(n,)`` with ties given their mean rank (scipy's "average"
    method, in numpy: importing scipy.stats costs each pipeline job about a second). A NaN
    anywhere makes every rank NaN, as scipy's default does."""
    x = np.asarray(x, dtype=float).ravel()
    if np.isnan(x).any():
        return np.full(len(x), np.nan)
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    new = np.r_[True, xs[1:] != xs[:-1]]
    starts = np.flatnonzero(new)
    counts = np.diff(np.r_[starts, len(x)])
    ranks = np.empty(len(x))
    ranks[order] = (starts + (counts + 1) / 2.0)[np.cumsum(new) - 1]
    return ranks


def accuracy(y_true, y_pred) -> float:
    """Fraction of equal entries of two 0/1 vectors ``(n,)``; NaN when ``n == 0``."""
    t, p = _pair(y_true, y_pred, "accuracy")
    return float(np.mean(t == p)) if len(t) else float("nan")


def f1_score(y_true, y_pred) -> float:
    """F1 of the positive class for 0/1 vectors ``(n,)``; 0.0 without positives, NaN if empty."""
    t, p = _pair(y_true, y_pred, "f1_score")
    if not len(t):
        return float("nan")
    tp = float(np.sum((t == 1) & (p == 1)))
    denom = float(np.sum(t == 1) + np.sum(p == 1))
    return 2.0 * tp / denom if denom else 0.0


def roc_auc(y_true, scores) -> float:
    """Area under the ROC curve (Mann-Whitney U with mid-ranks for ties).

    y_true: 0/1 ``(n,)``; scores: ``(n,)``, higher = more likely 1. NaN when a class is absent.
    """
    t, s = _pair(y_true, scores, "roc_auc")
    pos = t == 1
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(s)
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def spearman(a, b) -> float:
    """Spearman rank correlation of ``(n,)`` vectors; NaN when one of them is constant."""
    a, b = _pair(a, b, "spearman")
    ra, rb = rankdata(a), rankdata(b)
    if len(a) < 2 or ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def mean_absolute_error(y_true, y_pred) -> float:
    """Mean of ``|y_true - y_pred|`` over ``(n,)`` vectors; NaN when ``n == 0``."""
    t, p = _pair(y_true, y_pred, "mean_absolute_error")
    return float(np.mean(np.abs(t - p))) if len(t) else float("nan")


def tidy_table(per_attribute: Mapping[str, Mapping[str, float]], **extra: object) -> pd.DataFrame:
    """``{attr: {metric: value}}`` -> long DataFrame with columns attribute, metric, value.

    ``extra`` key/values become constant columns (e.g. ``model="plugen"``, ``split="test"``).
    """
    rows = [
        {**extra, "attribute": attr, "metric": metric, "value": float(value)}
        for attr, metrics in per_attribute.items()
        for metric, value in metrics.items()
    ]
    return pd.DataFrame(rows, columns=[*extra, "attribute", "metric", "value"])


def score_attributes(
    labels: pd.DataFrame, preds: pd.DataFrame, kinds: Mapping[str, str]
) -> dict[str, dict[str, float]]:
    """Score predictions ``pred_<attr>`` against label columns ``<attr>`` (rows aligned).

    Binary attributes (probabilities thresholded at 0.5): accuracy, f1, auc. Continuous
    attributes: mae, spearman. Rows whose label is NaN are skipped. Returns ``{attr: {metric:
    value}}``, ready for :func:`tidy_table`.
    """
    if len(labels) != len(preds):
        raise ValueError(f"score_attributes: {len(labels)} label rows but {len(preds)} predictions")
    out: dict[str, dict[str, float]] = {}
    for attr, kind in kinds.items():
        if attr not in labels.columns or f"pred_{attr}" not in preds.columns:
            raise ValueError(f"score_attributes: need column '{attr}' and 'pred_{attr}'")
        y = labels[attr].to_numpy(dtype=float)
        p = preds[f"pred_{attr}"].to_numpy(dtype=float)
        known = ~np.isnan(y)
        y, p = y[known], p[known]
        if kind == "binary":
            hard = (p > 0.5).astype(float)
            out[attr] = {
                "accuracy": accuracy(y, hard),
                "f1": f1_score(y, hard),
                "auc": roc_auc(y, p),
            }
        else:
            out[attr] = {"mae": mean_absolute_error(y, p), "spearman": spearman(y, p)}
    return out


def image_error(real: np.ndarray, other: np.ndarray) -> dict[str, float]:
    """Pixel MSE of uint8 image stacks on the [0, 1] scale (mean over pixels and images) and
    the PSNR in dB computed from it."""
    real, other = np.asarray(real, np.float64) / 255.0, np.asarray(other, np.float64) / 255.0
    if real.shape != other.shape:
        raise ValueError(f"image_error: shapes differ, {real.shape} vs {other.shape}")
    mse = float(np.mean((real - other) ** 2))
    return {"mse": mse, "psnr": 10.0 * math.log10(1.0 / max(mse, 1e-12))}
