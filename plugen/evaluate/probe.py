"""What a plugin can be judged on without decoding: its label coordinates and likelihood on
held-out latents (the ``probe`` table of experiments without a judge)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from plugen.evaluate.metrics import accuracy, roc_auc, spearman

if TYPE_CHECKING:
    from plugen.model import PluGeN


def probe_plugin(model: PluGeN, z: np.ndarray, labels: pd.DataFrame) -> pd.DataFrame:
    """Per attribute, over the rows of ``labels`` where it is known: how well the label
    coordinate of ``z: (n, d)`` predicts the label (binary: accuracy of P > 0.5 and AUC;
    continuous: Spearman), then a row ``all`` with the mean NLL per latent (nats, unknown labels
    marginalised by the prior). ``labels``: one column per ``model.attributes`` (NaN = unknown).
    """
    read = model.label_coordinates(z)
    rows = []
    for a in model.attributes:
        known = labels[a].notna().to_numpy()
        y, p = labels[a].to_numpy(dtype=float)[known], np.asarray(read[a], dtype=float)[known]
        row: dict[str, object] = {"attribute": a, "kind": model.kinds[a], "n": int(known.sum())}
        if model.kinds[a] == "binary":
            row.update(accuracy=accuracy(y, (p > 0.5).astype(float)), auc=roc_auc(y, p))
            row["spearman"] = np.nan
        else:
            row.update(accuracy=np.nan, auc=np.nan, spearman=spearman(y, p))
        rows.append(row)
    table = pd.DataFrame(rows)
    table["nll"] = np.nan
    nll = model.nll(z, labels[model.attributes])
    mean = {"attribute": "all", "kind": "", "n": len(z), "nll": float(np.mean(nll))}
    mean.update({m: float(table[m].mean()) for m in ("accuracy", "auc", "spearman")})
    return pd.concat([table, pd.DataFrame([mean])], ignore_index=True)


def probe_split(
    model: PluGeN, frame: pd.DataFrame, z: np.ndarray, split: str = "test"
) -> pd.DataFrame:
    """:func:`probe_plugin` on the rows of one split of a latents table."""
    rows = (frame["split"] == split).to_numpy()
    if not rows.any():
        raise ValueError(f"probe: no latents in split {split!r}")
    return probe_plugin(model, z[rows], frame.loc[rows, model.attributes].reset_index(drop=True))
