"""Measures of counterfactual explanations, read off ``counterfactuals/<method>`` tables.

validity: share of inputs flipped; sparsity: mean attributes changed (flipped inputs);
proximity: latent L2 and pixel MSE between input and counterfactual; plausibility: the
plugin's NLL of counterfactual latents minus that of the inputs (and FID, computed by the
workflow); faithfulness: share of flipped counterfactuals that change only attributes the
decision really depends on (when known), both as the method states its change (``changed``)
and as the external judge reads the images (``judged_changed``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from plugen.explain.search import Counterfactuals


def judged_changes(
    before: pd.DataFrame,
    after: pd.DataFrame,
    kinds: Mapping[str, str],
    tolerance: float = 0.1,
) -> list[list[str]]:
    """Attributes the judge reads as changed, per row of ``pred_<attr>`` tables (aligned):
    a binary attribute when its probability crosses 0.5, a continuous one when its value
    moves by more than ``tolerance`` (its units). Attributes without a column are skipped."""
    if len(before) != len(after):
        raise ValueError(f"judged_changes: {len(before)} rows before, {len(after)} after")
    moved = {}
    for a, kind in kinds.items():
        col = f"pred_{a}"
        if col not in before or col not in after:
            continue
        b, f = before[col].to_numpy(float), after[col].to_numpy(float)
        moved[a] = (b > 0.5) != (f > 0.5) if kind == "binary" else np.abs(f - b) > tolerance
    return [[a for a in moved if moved[a][i]] for i in range(len(before))]


def counterfactual_frame(
    cf: Counterfactuals,
    source_ids: Sequence[str],
    z_source: np.ndarray,
    changed: Sequence[Sequence[str]] | None = None,
    **columns: Sequence[float] | Sequence[Sequence[str]] | Sequence[str],
) -> pd.DataFrame:
    """The ``counterfactuals`` table of ``cf`` (latents go to ``io.write_table(..., z=cf.z)``):
    ``source_id``, ``flipped``, ``n_changed``, ``changed`` (``cf.changed``, or ``changed``
    when given, e.g. read by a judge), ``f_before``, ``f_after``, ``distance`` (latent L2 to
    ``z_source (n, d)``), ``delta_<attr>`` (user units) and the extra ``columns`` (e.g.
    ``pixel_mse``, ``nll``, ``judged_changed``, ``image_path``)."""
    changed = [list(c) for c in (cf.changed if changed is None else changed)]
    frame = pd.DataFrame(
        {
            "source_id": [str(i) for i in source_ids],
            "flipped": np.asarray(cf.flipped, dtype=bool),
            "n_changed": np.array([len(c) for c in changed], dtype=np.int64),
            "changed": changed,
            "f_before": np.asarray(cf.f_before, dtype=np.float32),
            "f_after": np.asarray(cf.f_after, dtype=np.float32),
            "distance": np.linalg.norm(cf.z - z_source, axis=1).astype(np.float32),
        }
    )
    for j, a in enumerate(cf.attributes):
        frame[f"delta_{a}"] = cf.delta[:, j]
    for name, values in columns.items():
        frame[name] = list(values) if name.endswith("changed") else values
    return frame


def _subset_share(sets: pd.Series, allowed: set[str]) -> float:
    if not len(sets):
        return float("nan")
    return float(np.mean([set(s) <= allowed for s in sets]))


def summary_row(
    frame: pd.DataFrame,
    depends_on: Sequence[str] | None = None,
    nll_inputs: float | None = None,
) -> dict[str, float]:
    """One method's measures from its counterfactuals table: ``n``, ``validity``,
    ``mean_changed``, ``faithfulness``, ``judged_changed``, ``judged_faithfulness`` (NaN
    without ``depends_on`` or the column), ``latent_l2``, ``pixel_mse`` and ``nll_increase``
    (mean ``nll`` of the counterfactuals minus ``nll_inputs``); all but ``n`` and
    ``validity`` over the flipped inputs (NaN when none flipped)."""
    nan = float("nan")
    ok = frame[frame["flipped"].astype(bool)]
    allowed = set(depends_on) if depends_on is not None else None
    judged = ok["judged_changed"] if "judged_changed" in ok and len(ok) else None

    def mean(col: str) -> float:
        return float(ok[col].mean()) if col in ok and len(ok) else nan

    return {
        "n": float(len(frame)),
        "validity": float(frame["flipped"].astype(bool).mean()) if len(frame) else nan,
        "mean_changed": mean("n_changed"),
        "faithfulness": _subset_share(ok["changed"], allowed) if allowed else nan,
        "judged_changed": float(judged.map(len).mean()) if judged is not None else nan,
        "judged_faithfulness": _subset_share(judged, allowed)
        if allowed and judged is not None
        else nan,
        "latent_l2": mean("distance"),
        "pixel_mse": mean("pixel_mse"),
        "nll_increase": mean("nll") - nll_inputs if nll_inputs is not None else nan,
    }


def attribute_table(
    frames: Mapping[str, pd.DataFrame],
    attributes: Sequence[str],
    depends_on: Sequence[str] | None = None,
) -> pd.DataFrame:
    """How often each attribute explains a flip: per method (``frames``: method -> its
    counterfactuals table) and attribute, ``share`` of flipped counterfactuals whose
    ``changed`` includes it, ``rank`` (1 = most often; ties share the better rank) and
    ``in_rule`` (whether the decision depends on it; False when unknown)."""
    rows = []
    for method, frame in frames.items():
        ok = frame[frame["flipped"].astype(bool)]
        shares = {
            a: float(np.mean([a in set(c) for c in ok["changed"]])) if len(ok) else 0.0
            for a in attributes
        }
        order = sorted(shares.values(), reverse=True)
        for a in attributes:
            rows.append(
                {
                    "method": method,
                    "attribute": a,
                    "share": shares[a],
                    "rank": order.index(shares[a]) + 1,
                    "in_rule": bool(depends_on is not None and a in depends_on),
                }
            )
    return pd.DataFrame(rows, columns=["method", "attribute", "share", "rank", "in_rule"])


def rule_ranked_first(table: pd.DataFrame, method: str = "plugen") -> bool:
    """Whether, for ``method``, the attributes the decision depends on hold the top ranks."""
    rows = table[table["method"] == method].sort_values("share", ascending=False, kind="stable")
    k = int(rows["in_rule"].sum())
    return (
        bool(k)
        and bool(rows["in_rule"].head(k).all())
        and (k == len(rows) or rows["share"].iloc[k - 1] > rows["share"].iloc[k])
    )


def matched_reference(
    wanted: pd.DataFrame, available: pd.DataFrame, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """For each row of ``wanted`` (binary attribute columns, 0/1), a random row of
    ``available`` with the same values (drawn with replacement, seeded): returns (rows of
    ``wanted`` that have a match, their matched rows of ``available``), so that an image set
    can be compared with real images of the same attribute composition (e.g. FID)."""
    cols = list(wanted.columns)
    keys = [tuple(r) for r in available[cols].to_numpy(dtype=int)]
    pool: dict[tuple, list[int]] = {}
    for i, k in enumerate(keys):
        pool.setdefault(k, []).append(i)
    rng = np.random.default_rng(seed)
    rows, matches = [], []
    for i, k in enumerate(tuple(r) for r in wanted[cols].to_numpy(dtype=int)):
        if k in pool:
            rows.append(i)
            matches.append(pool[k][rng.integers(len(pool[k]))])
    return np.array(rows, dtype=np.int64), np.array(matches, dtype=np.int64)
