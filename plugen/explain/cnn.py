"""The hidden-rule decision model: a small CNN trained on images labelled by a rule
(:class:`plugen.explain.rule.Rule`), saved through :mod:`plugen.checkpoint`."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from plugen.backbones.image_vae import check_images, images_to_tensor, map_image_batches
from plugen.checkpoint import ConfigCheckpoint
from plugen.evaluate.classifier import augment
from plugen.nn import conv_encoder, module_device
from plugen.train import History, TrainConfig, seed_everything, train

log = logging.getLogger(__name__)


class DecisionCNN(ConfigCheckpoint, nn.Module):
    """CNN images ``(n, 3, size, size)`` in [0, 1] -> one logit per image ``(n,)``."""

    checkpoint_format, checkpoint_version = "plugen-decision-model", 1
    checkpoint_what = "decision model"

    def __init__(self, size: int = 32, widths: Sequence[int] = (16, 32, 32)) -> None:
        super().__init__()
        self.config = {"size": int(size), "widths": list(widths)}
        self.size = int(size)
        self.net = nn.Sequential(
            conv_encoder(3, list(widths), size, 32), nn.ReLU(), nn.Linear(32, 1)
        )

    def forward(self, x: Tensor) -> Tensor:
        """x: ``(n, 3, H, W)`` in [0, 1] -> logits ``(n,)``."""
        return self.net(x)[:, 0]

    def predict(self, images: np.ndarray, batch_size: int = 512) -> np.ndarray:
        """uint8 images ``(n, H, W, 3)`` -> logits float32 ``(n,)``."""
        images = check_images(images, "decision model", self.size)
        self.eval()
        out = map_image_batches(self, images, batch_size, module_device(self))
        return out.reshape(len(images)).astype(np.float32)


def _decision_loss(model: DecisionCNN, batch: tuple[Tensor, ...]) -> dict[str, Tensor]:
    images, y = batch
    x = images.float() / 255.0
    if model.training:
        x = augment(x)
    logits = model(x)
    return {
        "loss": F.binary_cross_entropy_with_logits(logits, y),
        "error": ((logits > 0).float() != y).float().mean(),
    }


def fit_decision_model(
    images: np.ndarray,
    accept: np.ndarray,
    cfg: TrainConfig,
    widths: Sequence[int] = (16, 32, 32),
    device: torch.device | str = "cpu",
    history: History | None = None,
) -> tuple[DecisionCNN, History]:
    """Train a :class:`DecisionCNN` on uint8 images ``(n, H, W, 3)`` and decisions
    ``accept: (n,)`` (bool), with the classifier's photometric augmentation (so decoded,
    blurrier images are read like renderings). Raises ValueError for misaligned inputs or a
    decision that is constant."""
    images = check_images(images, "fit_decision_model")
    accept = np.asarray(accept, dtype=bool)
    if accept.shape != (len(images),):
        raise ValueError(
            f"fit_decision_model: {accept.shape} decisions for {len(images)} images, "
            f"expected ({len(images)},)"
        )
    if accept.all() or not accept.any():
        raise ValueError("fit_decision_model: the rule accepts all or none of the images")
    seed_everything(cfg.seed)
    model = DecisionCNN(images.shape[1], widths)
    hist = train(
        model,
        _decision_loss,
        [images_to_tensor(images), torch.from_numpy(accept.astype(np.float32))],
        cfg,
        device=device,
        history=history or History("decision", log),
    )
    return model.eval(), hist
