"""The paper's CelebA tables on our runs: Table 2's 20 requested pairs (requests and scoring per
pair), Table 3's F1/AUC."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from plugen.experiments.celeba_vae.data import PAPER_ATTRIBUTES


def table2_combinations() -> list[tuple[str, str]]:
    """The paper's 20 requested pairs of Table 2, e.g. ``("male", "beard")``, in its order."""
    from plugen.reference.paper import TABLE2

    return [tuple(c.split(" x ")) for c in TABLE2["columns"] if " x " in c]


def table2_requests(
    sources: pd.DataFrame, attributes: Sequence[str], n_per_combination: int, seed: int
) -> pd.DataFrame:
    """Requests of the paper's Table 2: for each of its 20 pairs of requested values (e.g. male x
    beard = Male 1 and No_Beard 0), ``n_per_combination`` test images drawn at random (seeded,
    all of them when fewer) are set to both values, whatever they had. ``sources``: ``id`` (and
    the label columns); ``attributes``: the flow's CelebA columns (``target_<attr>``, NaN = not
    requested). ``group`` is the paper's row label ("male x beard").

    Raises ``ValueError`` naming the CelebA columns a pair needs that ``attributes`` lacks.
    """
    pairs = table2_combinations()
    needed = {PAPER_ATTRIBUTES[p][0] for pair in pairs for p in pair}
    missing = sorted(needed - set(attributes))
    if missing:
        raise ValueError(f"Table 2 needs CelebA attribute(s) {missing} among the flow's")
    rng = np.random.default_rng(seed)
    rows = []
    for pair in pairs:
        n = min(n_per_combination, len(sources))
        for i in np.sort(rng.choice(len(sources), size=n, replace=False)):
            src = sources["id"].iloc[i]
            row = {f"target_{a}": np.nan for a in attributes}
            row.update({f"target_{PAPER_ATTRIBUTES[p][0]}": PAPER_ATTRIBUTES[p][1] for p in pair})
            group = " x ".join(pair)
            rows.append(
                {
                    "sample_id": f"t2_{group.replace(' x ', '_')}_{src}",
                    "source_id": src,
                    "group": group,
                    **row,
                }
            )
    targets = {f"target_{a}": np.float32 for a in attributes}
    return pd.DataFrame(rows).astype(targets)


def score_table2(requests: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """Table 2 analogue: per requested pair, the share of images whose judge reads both requested
    values (probability > 0.5 for 1, <= 0.5 for 0), then ``Average Acc`` (mean over pairs),
    beside the paper's PluGeN, MSP and cFlow values. Columns: ``Requested value``, ``n``,
    ``accuracy``, ``PluGeN``, ``MSP``, ``cFlow`` (the paper's). Raises ``ValueError`` when a
    requested attribute has no ``pred_<attr>`` column in ``scores``."""
    from plugen.reference.paper import reference_table

    merged = requests.merge(scores, on="sample_id", validate="one_to_one")
    rows = []
    for group, g in merged.groupby("group", sort=False):
        ok = np.ones(len(g), dtype=bool)
        for p in group.split(" x "):
            column, value = PAPER_ATTRIBUTES[p]
            if f"pred_{column}" not in g:
                raise ValueError(f"Table 2: the judge does not read '{column}' ({p})")
            ok &= (g[f"pred_{column}"].to_numpy() > 0.5) == bool(value)
        rows.append({"Requested value": group, "n": len(g), "accuracy": float(ok.mean())})
    table = pd.DataFrame(rows)
    mean = {"Requested value": "Average Acc", "n": int(table["n"].sum())}
    table = pd.concat([table, pd.DataFrame([{**mean, "accuracy": table["accuracy"].mean()}])])
    return table.merge(reference_table(2), on="Requested value", how="left")


def table3(generation: pd.DataFrame) -> pd.DataFrame:
    """Table 3 analogue from the generation metrics (:func:`plugen.tasks.score_generation`):
    rows F1 and AUC, ``ours`` (the mean over attributes) beside the paper's PluGeN, cFlow,
    Δ-GAN and cVAE values."""
    from plugen.reference.paper import reference_table

    mean = generation.set_index("attribute").loc["mean"]
    ours = pd.DataFrame({"Metric": ["F1", "AUC"], "ours": [mean["f1"], mean["auc"]]})
    return ours.merge(reference_table(3), on="Metric", how="left")


def build_requests(
    task: str, cfg: Mapping, sources: pd.DataFrame, kinds: Mapping[str, str], seed: int
) -> pd.DataFrame:
    """:func:`plugen.tasks.build_requests`'s signature for this experiment's own task ``table2``
    (the paper's 20 pairs, ``cfg["n_per_combination"]`` test images each).

    Raises ValueError for any other task.
    """
    if task != "table2":
        raise ValueError(f"celeba_vae tables: no task {task!r} (this module builds table2)")
    return table2_requests(sources, list(kinds), cfg["n_per_combination"], seed)
