"""What the image baselines (MSP, cVAE) share: a conv net trained on images + coded labels.

Images are uint8 ``(n, H, W, 3)`` like everywhere in plugen; the nets see float ``(n, 3, H, W)``
in [0, 1] and the label context ``(n, 2k)`` of :class:`plugen.baselines.base.LabelCoding`.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from plugen.backbones.image_vae import check_images, images_to_tensor, tensor_to_images
from plugen.baselines.base import ArrayLike, History, ImageEditor, LabelCoding, check_attributes
from plugen.baselines.base import check_labels as _check_labels
from plugen.nn import to_device
from plugen.train import History as TrainHistory
from plugen.train import TrainConfig, seed_everything
from plugen.train import train as train_loop

log = logging.getLogger(__name__)


class ConvNetEditor(ImageEditor):
    """An :class:`ImageEditor` around an ``nn.Module`` built by :meth:`build_net`.

    size: image side; latent_dim: width of the net's latent; widths: encoder channels
    (the decoder mirrors them); the remaining keyword arguments are method settings.
    """

    train_defaults = TrainConfig(
        epochs=100, batch_size=128, patience=4, lr_patience=1, progress=False
    )

    def __init__(
        self,
        size: int,
        attributes: Sequence[str],
        kinds: Mapping[str, str] | None = None,
        latent_dim: int = 32,
        widths: Sequence[int] = (32, 64),
        device: str | torch.device = "cpu",
        **settings: float,
    ) -> None:
        self.attributes, self.kinds = check_attributes(attributes, kinds, latent_dim)
        self.size, self.latent_dim = int(size), int(latent_dim)
        self.config = {
            "size": self.size,
            "attributes": self.attributes,
            "kinds": self.kinds,
            "latent_dim": self.latent_dim,
            "widths": list(widths),
            **settings,
        }
        self.coding = LabelCoding(self.attributes, self.kinds)
        self.device = torch.device(device)
        self.net = to_device(self.build_net(), self.device)
        self.history: History = []
        self.fitted = False

    @abc.abstractmethod
    def build_net(self) -> nn.Module:
        """The method's network, from ``self.config``."""

    @abc.abstractmethod
    def loss(self, net: nn.Module, batch: tuple[Tensor, ...]) -> dict[str, Tensor]:
        """Loss for :func:`plugen.train.train` on (uint8 images ``(b, 3, H, W)``, ``(b, 2k)``)."""

    def check_labels(self, y: ArrayLike, n: int, what: str) -> Tensor:
        """Labels ``(n, k)`` in user units -> float tensor (see :func:`base.check_labels`)."""
        return _check_labels(y, self.attributes, self.kinds, n, what)

    def fit(
        self,
        images: np.ndarray,
        y: ArrayLike,
        *,
        train: TrainConfig | None = None,
        logger: logging.Logger | None = None,
        **settings: Any,
    ) -> History:
        """Train on uint8 images ``(n, H, W, 3)`` and labels ``(n, k)`` (NaN = unknown).

        Returns one row per epoch (train/val loss terms, ``lr``).
        """
        cfg = self.train_config(train, settings)
        images = check_images(images, f"{self.method}.fit", self.size)
        yt = self.check_labels(y, len(images), "fit: labels")
        self.coding.fit(yt)
        seed_everything(cfg.seed)
        self.net = self.build_net()
        hist = train_loop(
            self.net,
            self.loss,
            (images_to_tensor(images), self.coding.context(yt)),
            cfg,
            device=self.device,
            history=TrainHistory(self.method, logger or log),
        )
        self.history, self.fitted = hist.rows, True
        return self.history

    def _pixels(self, images: np.ndarray, what: str) -> Tensor:
        images = check_images(images, what, self.size)
        return images_to_tensor(images).to(self.device).float() / 255.0

    @staticmethod
    def _images(x: Tensor) -> np.ndarray:
        return tensor_to_images(x)

    def _weights(self) -> dict:
        return {"state_dict": self.net.state_dict()}

    def _restore(self, weights: dict, device: str | torch.device) -> None:
        self.net.load_state_dict(weights["state_dict"])
        to_device(self.net, self.device).eval()


class FlatImageEditor:
    """An :class:`ImageEditor` seen through the latent-editor calls: its "latent" is the image
    flattened to ``H * W * 3`` values (uint8 levels as float32), so
    :func:`plugen.tasks.run_requests` answers image requests with the same batching and seeds
    as for PluGeN. ``generate``/``manipulate`` raise NotImplementedError where the editor does.
    """

    def __init__(self, editor: ImageEditor) -> None:
        self.editor = editor
        self.attributes, self.kinds = editor.attributes, editor.kinds
        self.latent_dim = editor.size * editor.size * 3

    @staticmethod
    def flatten(images: np.ndarray) -> np.ndarray:
        """uint8 images ``(n, H, W, 3)`` -> float32 ``(n, H * W * 3)``."""
        return np.asarray(images).reshape(len(images), -1).astype(np.float32)

    def images(self, flat: np.ndarray) -> np.ndarray:
        """float32 ``(n, H * W * 3)`` (uint8 levels) -> uint8 images ``(n, H, W, 3)``."""
        s = self.editor.size
        return np.asarray(flat).reshape(len(flat), s, s, 3).round().clip(0, 255).astype(np.uint8)

    def generate(
        self,
        values: Mapping[str, float],
        n: int,
        temperature: float = 1.0,
        seed: int | None = None,
    ) -> np.ndarray:
        """``n`` flattened images ``(n, H * W * 3)`` with the requested ``values``."""
        return self.flatten(self.editor.generate(values, n, temperature, seed))

    def manipulate(
        self,
        z: np.ndarray,
        values: Mapping[str, float],
        source_labels: ArrayLike | None = None,
    ) -> np.ndarray:
        """Flattened images ``(n, H * W * 3)`` -> flattened edited images."""
        return self.flatten(self.editor.manipulate(self.images(z), values, source_labels))


def dataset_images(table: str | Path, ids: Sequence[str]) -> np.ndarray:
    """uint8 images ``(n, H, W, 3)`` of the rows ``ids`` of an image dataset table
    (:data:`plugen.io.DATASET`, image paths relative to its folder), in the order of ``ids``.

    Raises ValueError naming the table and the first ids it lacks.
    """
    from plugen import io

    df, _ = io.read_table(table, io.DATASET)
    paths = dict(zip(df["id"], df["image_path"]))
    missing = [i for i in ids if i not in paths]
    if missing:
        raise ValueError(
            f"{table}: {len(missing)} id(s) of the latents are not in the dataset, e.g. "
            f"{missing[:3]}"
        )
    return io.read_images([paths[i] for i in ids], Path(table).parent)
