"""The external judge of decoded samples, whatever it is: images (or point clouds) in,
``pred_<attr>`` out."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

CLOUD_JUDGES = ("pointnet", "torchscript_cloud")  # judges that read point clouds


def load_judge(
    judge: Mapping[str, Any], kinds: Mapping[str, str], device="cpu"
) -> Callable[[np.ndarray], pd.DataFrame]:
    """``uint8 images (n, H, W, 3) -> DataFrame`` with one float32 ``pred_<attr>`` column per
    attribute the judge reads (probability for binary attributes, value for continuous ones),
    for a judge described as in :class:`plugen.experiments.Judge`; a ``pointnet`` judge reads
    float point clouds ``(n, P, 3)`` instead, as does a ``torchscript_cloud`` judge (a user's
    TorchScript judge of clouds; :func:`judge_inputs`)."""
    if judge["kind"] == "classifier":
        from plugen.evaluate.classifier import AttributeClassifier

        predict = AttributeClassifier.load(judge["path"], device).predict
    elif judge["kind"] in ("torchscript", "torchscript_cloud"):
        from plugen.backbones.torchscript import ScriptedJudge

        outputs = list(judge["outputs"])
        predict = ScriptedJudge(
            judge["path"],
            outputs,
            {a: kinds[a] for a in outputs},
            device,
            image_range=tuple(judge["image_range"]),
            channels=int(judge.get("channels", 3)),
            reads="clouds" if judge["kind"] in CLOUD_JUDGES else "images",
        )
    elif judge["kind"] == "pointnet":
        from plugen.backbones.pointnet import PointNetClassifier

        predict = PointNetClassifier.load(judge["path"], device).predict
    else:
        known = ("classifier", "torchscript", *CLOUD_JUDGES)
        raise ValueError(f"judge: kind must be one of {known}, got {judge['kind']!r}")
    return lambda images: predict(images).astype(np.float32)


def judge_inputs(judge: Mapping[str, Any], samples: pd.DataFrame, root: str | Path) -> np.ndarray:
    """What ``judge`` reads of a samples table (paths relative to ``root``): the point clouds
    of ``cloud_path`` for a judge of clouds (:data:`CLOUD_JUDGES`), else the images of
    ``image_path``. Raises ValueError naming the missing column."""
    from plugen import io

    column = "cloud_path" if judge["kind"] in CLOUD_JUDGES else "image_path"
    if column not in samples.columns:
        raise ValueError(
            f"{root}: the samples have no {column} column for the {judge['kind']} judge"
        )
    read = io.read_clouds if column == "cloud_path" else io.read_images
    return read(samples[column], root)
