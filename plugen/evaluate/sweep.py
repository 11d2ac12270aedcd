"""Generation as a trade-off curve: attribute accuracy and FID at several sampling temperatures.

One point per method hides the trade-off every generative model makes: a colder sample
(temperature < 1) gives images nearer the modes, judged more often as requested, but less
varied (FID rises once variety is lost). :func:`generation_sweep` answers the experiment's
generation requests (the same requests and seeds for every method) at each temperature and
reports, per method and temperature, the judge's F1 and AUC and the FID of the images.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from plugen import tasks

Images = np.ndarray  # uint8 (n, H, W, 3)


def generation_sweep(
    editors: Mapping[str, object],
    requests: pd.DataFrame,
    temperatures: Sequence[float],
    to_images: Mapping[str, Callable[[np.ndarray], Images]],
    judge: Callable[[Images], pd.DataFrame],
    binary: Sequence[str],
    fid_to_real: Callable[[Images], float],
    seed: int = 0,
    label_sigma: Mapping[str, float | None] | None = None,
) -> pd.DataFrame:
    """Score each editor's answers to the generation ``requests`` at each temperature.

    editors: method -> a latent editor or a ``FlatImageEditor`` (``generate`` as in
    :func:`plugen.tasks.run_requests`); to_images: method -> its answers ``(n, d)`` as uint8
    images; judge: images -> ``pred_<attr>`` columns; fid_to_real: images -> FID against the
    real test images; label_sigma: method -> the label spread at temperature 1 (PluGeN's sigma;
    the ``label_sigma`` column is the spread sampled with, temperature x that). Returns one row
    per (method, temperature): ``method``, ``temperature``, ``label_sigma``, ``f1``, ``auc``,
    ``accuracy`` (means over ``binary``), ``fid``, ``n``. Raises ValueError for an empty or
    negative temperature list.
    """
    if not temperatures or min(temperatures) < 0:
        raise ValueError(f"temperatures must be a non-empty list of values >= 0: {temperatures}")
    label_sigma = label_sigma or {}
    rows = []
    for method, editor in editors.items():
        for t in temperatures:
            z = tasks.run_requests(editor, requests, None, float(t), seed)
            images = to_images[method](z)
            scores = judge(images)
            scores.insert(0, "sample_id", requests["sample_id"].to_numpy())
            table = tasks.score_generation(requests, scores, binary)
            mean = table[table["attribute"] == "mean"].iloc[0]
            sigma = label_sigma.get(method)  # the spread sampled with: temperature x sigma
            rows.append(
                {
                    "method": method,
                    "temperature": float(t),
                    "label_sigma": np.nan if sigma is None else float(t) * float(sigma),
                    "f1": float(mean["f1"]),
                    "auc": float(mean["auc"]),
                    "accuracy": float(mean["accuracy"]),
                    "fid": float(fid_to_real(images)),
                    "n": len(requests),
                }
            )
    return pd.DataFrame(rows)
