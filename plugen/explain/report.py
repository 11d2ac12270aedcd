"""The counterfactual task's report: measures per method (FID against real images of the same
attribute composition), and figure strips of inputs beside their counterfactuals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from plugen.explain.measures import matched_reference, summary_row

UNKNOWN_RULE = "not reported: the decision model's rule is unknown"


def matched_fids(
    inputs: np.ndarray,
    outputs: Mapping[str, np.ndarray],
    judge_path: str,
    real_table: pd.DataFrame,
    real: np.ndarray,
    device: str = "cpu",
) -> dict[str, float]:
    """FID (the judge's features) of the decoded ``inputs`` and of each method's counterfactual
    images ``outputs[method]`` (uint8 ``(n, H, W, 3)``) against the ``real`` images of
    ``real_table`` (aligned rows, 0/1 attribute columns) with the same judge-read binary
    attributes: a counterfactual set has another attribute mix than the test set, which plain
    FID would measure instead. Keys: ``"inputs"`` and the methods."""
    from plugen.evaluate.classifier import AttributeClassifier
    from plugen.evaluate.fid import ClassifierFeatures, fid

    clf = AttributeClassifier.load(judge_path, device)
    binary = [a for a, k in clf.kinds.items() if k == "binary"]
    backend = ClassifierFeatures(clf)

    def matched(images: np.ndarray) -> float:
        read = clf.predict(images)[[f"pred_{a}" for a in binary]] > 0.5
        rows, match = matched_reference(read.set_axis(binary, axis=1), real_table[binary])
        return fid(real[match], images[rows], backend)

    return {"inputs": matched(inputs), **{m: matched(imgs) for m, imgs in outputs.items()}}


def summary_table(
    frames: Mapping[str, pd.DataFrame],
    depends_on: Sequence[str] | None,
    nll_inputs: float,
    fids: Mapping[str, float],
) -> pd.DataFrame:
    """One row per method: :func:`summary_row`, ``fid`` and ``fid_inputs`` (NaN without
    ``fids``); without ``depends_on`` the faithfulness columns give way to a note."""
    summary = pd.DataFrame(
        [
            {
                "method": method,
                **summary_row(frame, depends_on, nll_inputs),
                "fid": fids.get(method, np.nan),
                "fid_inputs": fids.get("inputs", np.nan),
            }
            for method, frame in frames.items()
        ]
    )
    if depends_on is None:
        summary = summary.drop(columns=["faithfulness", "judged_faithfulness"])
        summary["faithfulness"] = UNKNOWN_RULE
    return summary


def strip_figures(
    inputs: np.ndarray,
    frames: Mapping[str, pd.DataFrame],
    outputs: Mapping[str, np.ndarray],
    folder: str | Path,
    n_figure: int,
) -> None:
    """``counterfactuals_<method>.png`` in ``folder``: the first ``n_figure`` flipped inputs
    (decoded ``inputs``, rows of the frames) beside their counterfactuals, labelled with the
    attributes changed; none for a method that flipped nothing."""
    from plugen.plots import image_grid

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for method, frame in frames.items():
        shown = np.flatnonzero(frame["flipped"].to_numpy())[:n_figure]
        if not len(shown):
            continue
        strips = [np.stack([inputs[i], outputs[method][i]]) for i in shown]
        labels = [", ".join(frame["changed"].iloc[i]) or "(none read)" for i in shown]
        image_grid(strips, labels, folder / f"counterfactuals_{method}.png")
