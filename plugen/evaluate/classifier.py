"""External attribute classifier: the judge of generated and manipulated images.

One small CNN with an output per attribute: a logit for binary attributes (reported as a
probability) and a standardized regression for continuous ones (reported in the attribute's
units). It is trained on a rendering the backbone never saw. Its penultimate features are the
default offline FID backend.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from plugen.backbones.image_vae import (
    check_images,
    images_to_tensor,
    map_image_batches,
)
from plugen.checkpoint import ConfigCheckpoint
from plugen.evaluate.metrics import score_attributes, tidy_table
from plugen.nn import conv_encoder, module_device
from plugen.train import History, TrainConfig, seed_everything, train

log = logging.getLogger(__name__)

FORMAT = "plugen-attribute-classifier"
FORMAT_VERSION = 1
KINDS = ("binary", "continuous")


class AttributeOutputs:
    """What the attribute judges (images here, point clouds in :mod:`plugen.backbones.pointnet`)
    share: their kinds checked, the continuous targets' mean/std as buffers, and
    :meth:`outputs`. Mixed into an ``nn.Module`` whose forward gives raw outputs ``(n, k)``."""

    def _attribute_outputs(
        self,
        kinds: Mapping[str, str],
        mean: Mapping[str, float] | None,
        std: Mapping[str, float] | None,
        what: str,
    ) -> dict[str, dict[str, float]]:
        """Check ``kinds``, set ``self.kinds`` and the buffers; returns the ``mean``/``std``
        config entries (0 and 1 where not given). ValueError naming ``what``."""
        bad = {a: k for a, k in kinds.items() if k not in KINDS}
        if bad or not kinds:
            raise ValueError(f"{what}: kinds {bad or kinds} must map names to {KINDS}")
        mean, std = mean or {}, std or {}
        stats = {
            "mean": {a: float(mean.get(a, 0.0)) for a in kinds},
            "std": {a: float(std.get(a, 1.0)) for a in kinds},
        }
        self.kinds = dict(kinds)
        self.register_buffer("binary", torch.tensor([k == "binary" for k in kinds.values()]))
        self.register_buffer("mean", torch.tensor(list(stats["mean"].values())))
        self.register_buffer("std", torch.tensor(list(stats["std"].values())))
        return stats

    def outputs(self, x: Tensor) -> Tensor:
        """The judge's input -> probabilities (binary) / values in attribute units ``(n, k)``."""
        raw = self(x)
        return torch.where(self.binary, torch.sigmoid(raw), raw * self.std + self.mean)


class AttributeClassifier(AttributeOutputs, ConfigCheckpoint, nn.Module):
    """CNN ``(n, 3, size, size)`` in [0, 1] -> raw outputs ``(n, k)``, one per attribute.

    kinds: ``{attribute: "binary" | "continuous"}`` (order = output order); widths: conv
    channels; blocks: residual blocks after each strided conv (0: a plain CNN, more: a
    ResNet-like judge); feature_dim: width of the penultimate features; mean/std:
    standardization of the continuous targets (ignored for binary ones).
    """

    checkpoint_format, checkpoint_version = FORMAT, FORMAT_VERSION
    checkpoint_what = "attribute classifier"

    def __init__(
        self,
        kinds: Mapping[str, str],
        size: int = 32,
        widths: tuple[int, ...] = (32, 64, 128),
        feature_dim: int = 128,
        blocks: int = 0,
        mean: Mapping[str, float] | None = None,
        std: Mapping[str, float] | None = None,
    ) -> None:
        super().__init__()
        stats = self._attribute_outputs(kinds, mean, std, "AttributeClassifier")
        self.config = {
            "kinds": dict(kinds),
            "size": size,
            "widths": list(widths),
            "feature_dim": feature_dim,
            "blocks": blocks,
            **stats,
        }
        self.size = size
        self.body = nn.Sequential(
            conv_encoder(3, list(widths), size, feature_dim, blocks), nn.ReLU()
        )
        self.head = nn.Linear(feature_dim, len(kinds))

    def forward(self, x: Tensor) -> Tensor:
        """x: ``(n, 3, H, W)`` in [0, 1] -> logits / standardized values ``(n, k)``."""
        return self.head(self.body(x))

    def predict(self, images: np.ndarray, batch_size: int = 512) -> pd.DataFrame:
        """uint8 images ``(n, H, W, 3)`` -> DataFrame with one ``pred_<attr>`` column each."""
        images = check_images(images, "classifier.predict", self.size)
        self.eval()
        out = map_image_batches(self.outputs, images, batch_size, module_device(self))
        out = out.reshape(len(images), len(self.kinds))
        return pd.DataFrame({f"pred_{a}": out[:, i] for i, a in enumerate(self.kinds)})

    def features(self, images: np.ndarray, batch_size: int = 512) -> np.ndarray:
        """uint8 images ``(n, H, W, 3)`` -> penultimate features float32 ``(n, feature_dim)``."""
        images = check_images(images, "classifier.features", self.size)
        self.eval()
        f = map_image_batches(self.body, images, batch_size, module_device(self))
        return f.reshape(len(images), self.config["feature_dim"]).astype(np.float32)


def augment(x: Tensor) -> Tensor:
    """Light photometric augmentation of ``(n, 3, H, W)`` [0, 1] images (no geometry).

    Random contrast/brightness, a random amount of 3x3 blur (so blurry decoder outputs are read
    like sharp renderings) and Gaussian noise. Uses the global torch RNG (seeded by train()).
    """

    def u(lo: float, hi: float) -> Tensor:
        return torch.empty((len(x), 1, 1, 1), device=x.device).uniform_(lo, hi)

    x = (x - 0.5) * u(0.85, 1.15) + 0.5 + u(-0.06, 0.06)
    kernel = torch.tensor([1.0, 2.0, 1.0], device=x.device)
    kernel = (kernel[:, None] * kernel[None, :] / 16).expand(3, 1, 3, 3)
    blurred = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), kernel, groups=3)
    x = x + (blurred - x) * u(0.0, 1.0)
    x = x + torch.randn_like(x) * u(0.0, 0.05)
    return x.clamp(0.0, 1.0)


def classifier_loss(clf: AttributeClassifier, batch: tuple[Tensor, ...]) -> dict[str, Tensor]:
    """Mean BCE (binary) + MSE on standardized targets (continuous); NaN labels are masked."""
    images, y = batch
    x = images.float() / 255.0
    if clf.training:
        x = augment(x)
    return attribute_loss(clf, clf(x), y)


def attribute_loss(clf: nn.Module, raw: Tensor, y: Tensor) -> dict[str, Tensor]:
    """The attribute classifiers' loss of raw outputs ``(b, k)`` against labels ``y`` ``(b, k)``
    (NaN = unknown, masked): per attribute the mean BCE on logits (binary) or the MSE on
    targets standardized by ``clf.mean`` / ``clf.std`` (continuous; ``clf.binary`` says which),
    summed (``loss``), and the mean ``bce`` and ``mse`` over their attributes."""
    known = ~torch.isnan(y)
    target = torch.where(clf.binary, y, (y - clf.mean) / clf.std)
    target = torch.where(known, target, torch.zeros_like(target))
    bce = F.binary_cross_entropy_with_logits(raw, target, reduction="none")
    sq = (raw - target) ** 2
    per = torch.where(clf.binary, bce, sq) * known
    per_attr = per.sum(0) / known.sum(0).clamp(min=1)
    binary = clf.binary.float()
    return {
        "loss": per_attr.sum(),
        "bce": (per_attr * binary).sum() / binary.sum().clamp(min=1),
        "mse": (per_attr * (1 - binary)).sum() / (1 - binary).sum().clamp(min=1),
    }


def classifier_targets(
    labels: pd.DataFrame, kinds: Mapping[str, str], n: int, where: str, noun: str = "images"
) -> tuple[np.ndarray, dict[str, float], dict[str, float]]:
    """The label matrix float32 ``(n, k)`` (columns of ``kinds``, NaN = unknown) of a classifier
    of ``n`` inputs, and each attribute's mean and std (1 when constant) for standardizing.
    Raises ValueError naming ``where`` for misaligned rows, missing columns or binary values
    other than 0/1 (``noun``: what the ``n`` inputs are, for the message)."""
    if len(labels) != n:
        raise ValueError(f"{where}: {len(labels)} label rows for {n} {noun}")
    missing = [a for a in kinds if a not in labels.columns]
    if missing:
        raise ValueError(f"{where}: label column(s) {missing} missing")
    y = np.array(labels[list(kinds)], dtype=np.float32)
    for i, (a, k) in enumerate(kinds.items()):
        vals = y[:, i][~np.isnan(y[:, i])]
        if k == "binary" and not np.isin(vals, (0.0, 1.0)).all():
            raise ValueError(f"{where}: binary column '{a}' has values other than 0/1")
    mean = {a: float(np.nanmean(y[:, i])) for i, a in enumerate(kinds)}
    std = {a: float(np.nanstd(y[:, i])) or 1.0 for i, a in enumerate(kinds)}
    return y, mean, std


def fit_classifier(
    images: np.ndarray,
    labels: pd.DataFrame,
    kinds: Mapping[str, str],
    cfg: TrainConfig,
    device: torch.device | str = "cpu",
    *,
    clf_kwargs: dict | None = None,
    history: History | None = None,
) -> tuple[AttributeClassifier, History]:
    """Train an :class:`AttributeClassifier` on uint8 images ``(n, H, W, 3)``.

    labels: one column per attribute in ``kinds`` (rows aligned with images; NaN = unknown,
    binary values 0/1). clf_kwargs: architecture arguments (``widths``, ``feature_dim``).
    """
    images = check_images(images, "fit_classifier")
    y, mean, std = classifier_targets(labels, kinds, len(images), "fit_classifier")
    seed_everything(cfg.seed)  # seeded weight init
    clf = AttributeClassifier(kinds, size=images.shape[1], mean=mean, std=std, **(clf_kwargs or {}))
    history = train(
        clf,
        classifier_loss,
        [images_to_tensor(images), torch.from_numpy(y)],
        cfg,
        device=device,
        history=history or History("classifier", log),
    )
    return clf, history


def evaluate_classifier(
    clf: AttributeClassifier,
    images: np.ndarray,
    labels: pd.DataFrame,
    batch_size: int = 512,
    **extra: object,
) -> pd.DataFrame:
    """Tidy table (attribute, metric, value) of the classifier's scores on labelled images.

    Binary: accuracy, f1, auc; continuous: mae, spearman. ``extra`` become constant columns.
    """
    preds = clf.predict(images, batch_size)
    return tidy_table(score_attributes(labels.reset_index(drop=True), preds, clf.kinds), **extra)
