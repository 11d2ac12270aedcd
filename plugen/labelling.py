"""Labels of latents: the GAN protocol's (sample latents, decode, let the external classifier
label them) and the semi-supervised setting's (:func:`keep_labels_per_image`).

A decoder-only backbone has no labelled latents, so PluGeN trains on ``(z, classifier(G(z)))``
(paper Section 4.1, StyleGAN on FFHQ). Binary attributes get hard labels (probability > 0.5)
and keep their probability in ``prob_<attr>``; continuous ones get the predicted value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from plugen.evaluate.metrics import image_error
from plugen.train import split_indices

Images = np.ndarray


def label_latents(
    z: np.ndarray,
    decode: Callable[[np.ndarray], Images],
    predict: Callable[[Images], pd.DataFrame],
    kinds: Mapping[str, str],
    val_fraction: float,
    n_test: int,
    seed: int,
    min_confidence: float = 0.5,
    batch_size: int = 1024,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """A latents table for ``z`` ``(n, d)``: ``id``, ``split`` (train/val/test: ``n_test``
    test rows, then ``val_fraction`` of the rest as val, seeded), one label column per attribute
    and ``prob_<attr>`` for binary ones. ``predict`` returns ``pred_<attr>`` columns.
    A binary label whose probability is within ``min_confidence`` of neither 0 nor 1
    (``max(p, 1 - p) < min_confidence``) is unknown (NaN): PluGeN treats it as missing."""
    if not 0.5 <= min_confidence < 1:
        raise ValueError(f"label_latents: min_confidence must be in [0.5, 1), got {min_confidence}")
    n = len(z)
    if not 0 <= n_test < n:
        raise ValueError(f"label_latents: n_test={n_test} must be in [0, {n}) for {n} latents")
    preds = []
    for lo in range(0, n, batch_size):
        preds.append(predict(decode(z[lo : lo + batch_size])))
        if progress:
            progress(min(lo + batch_size, n), n)
    pred = pd.concat(preds, ignore_index=True)
    split = np.full(n, "train", dtype=object)
    split[n - n_test :] = "test"
    _, val = split_indices(n - n_test, val_fraction, seed)
    split[val.numpy()] = "val"
    table = pd.DataFrame({"id": [f"s{i:06d}" for i in range(n)], "split": split})
    for attr, kind in kinds.items():
        table[attr] = classifier_labels(pred, attr, kind, min_confidence)
        if kind == "binary":
            table[f"prob_{attr}"] = pred[f"pred_{attr}"].to_numpy(np.float32)
    return table


def classifier_labels(
    pred: pd.DataFrame, attr: str, kind: str, min_confidence: float = 0.5
) -> np.ndarray:
    """One attribute's label from the classifier's ``pred_<attr>``: the predicted value
    (continuous) or the hard label, NaN where ``max(p, 1 - p) < min_confidence`` (binary)."""
    p = pred[f"pred_{attr}"].to_numpy(np.float32)
    if kind != "binary":
        return p
    label = (p > 0.5).astype(np.float32)
    label[np.maximum(p, 1 - p) < min_confidence] = np.nan
    return label


def label_balance(table: pd.DataFrame, kinds: Mapping[str, str]) -> pd.DataFrame:
    """Share of positives (binary) or mean/std (continuous) of each label and the share left
    unknown: a log table that shows whether the generator covers every attribute value."""
    rows = []
    for attr, kind in kinds.items():
        v = table[attr].to_numpy(float)
        rows.append(
            {
                "attribute": attr,
                "kind": kind,
                "mean": float(np.nanmean(v)),
                "std": float(np.nanstd(v)),
                "unknown": float(np.isnan(v).mean()),
            }
        )
    return pd.DataFrame(rows)


def inverted_table(
    real: pd.DataFrame, pred: pd.DataFrame, kinds: Mapping[str, str]
) -> pd.DataFrame:
    """Latents table rows for inverted real images: the classifier's labels of the
    reconstructions as the attribute columns (what an edit can preserve) and the true labels
    as ``true_<attr>``; split ``test`` (they are only ever edited)."""
    table = pd.DataFrame({"id": real["id"].to_numpy(), "split": "test"})
    for attr, kind in kinds.items():
        table[attr] = classifier_labels(pred, attr, kind)
        table[f"true_{attr}"] = real[attr].to_numpy(np.float32)
    return table


def inversion_report(
    real: Images,
    recon: Images,
    real_table: pd.DataFrame,
    pred: pd.DataFrame,
    kinds: Mapping[str, str],
) -> pd.DataFrame:
    """Reconstruction error of inverted images and, per binary attribute, how often the
    classifier reads the true label off the reconstruction (mean absolute error for continuous)."""
    err = image_error(real, recon)
    row: dict[str, float] = {"n": len(real), **err}
    for attr, kind in kinds.items():
        truth, p = real_table[attr].to_numpy(float), pred[f"pred_{attr}"].to_numpy(float)
        if kind == "binary":
            row[f"label_kept_{attr}"] = float(np.mean((p > 0.5) == (truth > 0.5)))
        else:
            row[f"abs_error_{attr}"] = float(np.mean(np.abs(p - truth)))
    return pd.DataFrame([row])


def training_labels(
    split: np.ndarray, labels: np.ndarray, label_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """The training set of a latents table, the same for PluGeN and its rivals: the rows whose
    ``split (n,)`` is train or val (a bool mask ``(n,)``) and their ``labels`` ``(m, k)``
    (float32 copy) with the entries a seeded draw hides (``1 - label_fraction`` of them, the
    semi-supervised setting) set to NaN. Raises ValueError for a
    ``label_fraction`` outside (0, 1] or labels not ``(n, k)``."""
    if not 0 < label_fraction <= 1:
        raise ValueError(f"label_fraction must be in (0, 1], got {label_fraction}")
    if labels.ndim != 2 or len(labels) != len(split):
        raise ValueError(f"labels have shape {labels.shape}; expected ({len(split)}, k)")
    keep = np.isin(split, ("train", "val"))
    y = np.array(labels[keep], dtype=np.float32, copy=True)
    y[np.random.default_rng(seed).random(y.shape) >= label_fraction] = np.nan
    return keep, y


def keep_labels_per_image(
    frame: pd.DataFrame, attributes: Sequence[str], k: int, seed: int
) -> pd.DataFrame:
    """A copy of ``frame`` in which every train/val row keeps ``k`` of its ``attributes`` labels,
    drawn uniformly without replacement (seeded), and the others are NaN (unknown): the
    semi-supervised setting of the authors' CelebA code (``--labels-per-image``, 5 of 40 there).
    Test rows keep every label. ``k >= len(attributes)`` keeps all. Raises ``ValueError`` for
    ``k < 1`` or an attribute column ``frame`` lacks."""
    missing = [a for a in attributes if a not in frame.columns]
    if missing or k < 1:
        raise ValueError(f"keep_labels_per_image: k={k} must be >= 1; missing columns {missing}")
    out = frame.copy()
    if k >= len(attributes):
        return out
    rows = np.flatnonzero(out["split"].isin(["train", "val"]).to_numpy())
    rng = np.random.default_rng(seed)
    keep = np.argsort(rng.random((len(rows), len(attributes))), axis=1)[:, :k]
    labels = out[list(attributes)].to_numpy(dtype=np.float32, copy=True)
    hidden = np.ones((len(rows), len(attributes)), dtype=bool)
    np.put_along_axis(hidden, keep, False, axis=1)
    block = labels[rows]
    block[hidden] = np.nan
    labels[rows] = block
    out[list(attributes)] = labels
    return out
