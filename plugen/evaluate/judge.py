"""The external judge of decoded images, whatever it is: images in, ``pred_<attr>`` out."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd


def load_judge(
    judge: Mapping[str, Any], kinds: Mapping[str, str], device="cpu"
) -> Callable[[np.ndarray], pd.DataFrame]:
    """``uint8 images (n, H, W, 3) -> DataFrame`` with one float32 ``pred_<attr>`` column per
    attribute the judge reads (probability for binary attributes, value for continuous ones),
    for a judge described as in :class:`plugen.experiments.Judge`."""
    if judge["kind"] == "classifier":
        from plugen.evaluate.classifier import AttributeClassifier

        predict = AttributeClassifier.load(judge["path"], device).predict
    elif judge["kind"] == "torchscript":
        from plugen.backbones.torchscript import ScriptedJudge

        outputs = list(judge["outputs"])
        predict = ScriptedJudge(
            judge["path"],
            outputs,
            {a: kinds[a] for a in outputs},
            device,
            image_range=tuple(judge["image_range"]),
            channels=int(judge.get("channels", 3)),
        )
    else:
        raise ValueError(
            f"judge: kind must be 'classifier' or 'torchscript', got {judge['kind']!r}"
        )
    return lambda images: predict(images).astype(np.float32)
