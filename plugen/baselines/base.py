"""The interface the baselines share with PluGeN, and the label coding they share.

A :class:`LatentEditor` works on a frozen backbone's latents like PluGeN: ``fit(z, y)``, then
``generate(values, n)`` and ``manipulate(z, values)``, both returning latents ``(n, d)``.
An :class:`ImageEditor` works on images itself (MSP, cVAE): uint8 ``(n, H, W, 3)`` in and out.
Labels are in user units (binary 0/1, continuous in the attribute's units, NaN = unknown);
requested ``values`` map attribute names to such values.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor

from plugen.checkpoint import load_checkpoint, save_checkpoint
from plugen.priors import KINDS
from plugen.train import TrainConfig

ArrayLike = np.ndarray | Tensor
History = list[dict[str, float]]


# --------------------------------------------------------------------------- validation
def check_attributes(
    attributes: Sequence[str], kinds: Mapping[str, str] | None, latent_dim: int | None = None
) -> tuple[list[str], dict[str, str]]:
    """Validated ``(attributes, kinds)``; kinds default to ``"binary"``. Raises ValueError."""
    attributes = list(attributes)
    if not attributes or len(set(attributes)) != len(attributes):
        raise ValueError(f"attributes must be unique and non-empty, got {attributes}")
    if latent_dim is not None and latent_dim < 1:
        raise ValueError(f"latent_dim must be >= 1, got {latent_dim}")
    kinds = dict(kinds or {})
    unknown = sorted(set(kinds) - set(attributes))
    if unknown:
        raise ValueError(f"kinds names unknown attributes {unknown}; attributes: {attributes}")
    kinds = {a: kinds.get(a, "binary") for a in attributes}
    bad = {a: k for a, k in kinds.items() if k not in KINDS}
    if bad:
        raise ValueError(f"kinds must be 'binary' or 'continuous', got {bad}")
    return attributes, kinds


def check_latents(z: ArrayLike, latent_dim: int, what: str = "z") -> Tensor:
    """``z: (n, d)`` (or one row ``(d,)``) -> float32 tensor ``(n, d)``; ValueError otherwise."""
    t = torch.as_tensor(np.asarray(z) if not isinstance(z, Tensor) else z, dtype=torch.float32)
    if t.ndim == 1:
        t = t[None]
    if t.ndim != 2 or t.shape[1] != latent_dim:
        raise ValueError(f"{what} has shape {tuple(t.shape)}; expected (n, {latent_dim})")
    if not torch.isfinite(t).all():
        bad = int((~torch.isfinite(t)).any(1).sum())
        raise ValueError(f"{what} contains NaN or infinite values in {bad} row(s)")
    return t


def check_labels(
    y: ArrayLike | object, attributes: Sequence[str], kinds: Mapping[str, str], n: int, what: str
) -> Tensor:
    """Labels ``(n, k)`` (array or DataFrame with the attribute columns) -> float32 tensor.

    NaN = unknown. Raises ValueError for a wrong shape, infinite values or binary values
    other than 0/1.
    """
    if hasattr(y, "columns"):  # pandas DataFrame
        missing = [a for a in attributes if a not in y.columns]
        if missing:
            raise ValueError(f"{what}: missing column(s) {missing}")
        y = y[list(attributes)].to_numpy(dtype=np.float32)
    if isinstance(y, Tensor):
        y = y.detach().cpu().numpy()
    t = torch.from_numpy(np.array(y, dtype=np.float32))
    if t.ndim == 1 and len(attributes) == 1:
        t = t[:, None]
    if t.shape != (n, len(attributes)):
        raise ValueError(
            f"{what} have shape {tuple(t.shape)}; expected ({n}, {len(attributes)}) "
            f"for attributes {list(attributes)}"
        )
    if torch.isinf(t).any():
        raise ValueError(f"{what} contain infinite values (use NaN for unknown)")
    for j, a in enumerate(attributes):
        col = t[:, j][~torch.isnan(t[:, j])]
        bad = col[(col != 0) & (col != 1)]
        if kinds[a] == "binary" and len(bad):
            raise ValueError(
                f"{what}: binary attribute '{a}' must be 0 or 1 (NaN = unknown), "
                f"got {float(bad[0]):g}"
            )
    return t


def as_output(t: Tensor, like: object) -> ArrayLike:
    """``t`` as a tensor when ``like`` is one, else as a numpy array."""
    return t if isinstance(like, Tensor) else t.detach().cpu().numpy()


# --------------------------------------------------------------------------- label coding
@dataclass
class LabelCoding:
    """Labels coded like PluGeN's: binary -> -1/+1, continuous -> standardized.

    ``context`` adds a 0/1 "known" mask per attribute, so unknown labels (NaN) can condition
    a model too: ``(n, k)`` labels -> ``(n, 2k)`` context (unknown coded as 0, mask 0).
    """

    attributes: list[str]
    kinds: dict[str, str]
    y_mean: list[float] = field(default_factory=list)
    y_std: list[float] = field(default_factory=list)
    pos_rate: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        k = len(self.attributes)
        self.y_mean = self.y_mean or [0.0] * k
        self.y_std = self.y_std or [1.0] * k
        self.pos_rate = self.pos_rate or [0.5] * k

    @property
    def width(self) -> int:
        """Width of :meth:`context`: 2k."""
        return 2 * len(self.attributes)

    def fit(self, y: Tensor) -> LabelCoding:
        """Statistics of training labels ``y: (n, k)`` (user units, NaN = unknown).

        Raises ValueError when an attribute has no known value.
        """
        for j, a in enumerate(self.attributes):
            col = y[:, j][~torch.isnan(y[:, j])]
            if not len(col):
                raise ValueError(f"labels: attribute '{a}' has no known value")
            if self.kinds[a] == "continuous":
                std = float(col.std()) if len(col) > 1 else 0.0
                self.y_mean[j], self.y_std[j] = float(col.mean()), std if std > 0 else 1.0
            else:
                self.pos_rate[j] = float(col.mean())
        return self

    def code(self, y: Tensor) -> Tensor:
        """User-unit labels ``(n, k)`` -> coded ``(n, k)`` (NaN stays NaN)."""
        mean, std = torch.tensor(self.y_mean), torch.tensor(self.y_std)
        cont = torch.tensor([self.kinds[a] == "continuous" for a in self.attributes])
        return torch.where(cont, (y - mean) / std, 2.0 * y - 1.0)

    def context(self, y: Tensor) -> Tensor:
        """User-unit labels ``(n, k)`` -> ``(n, 2k)``: coded values (unknown = 0), known mask."""
        known = ~torch.isnan(y)
        return torch.cat([self.code(y).nan_to_num(0.0), known.float()], dim=1)

    def target(self, name: str, value: float) -> float:
        """Coded value of one requested ``name = value``; ValueError for a value out of kind."""
        j = self.attributes.index(name)
        if self.kinds[name] == "binary":
            if value not in (0, 1):
                raise ValueError(f"binary attribute '{name}' must be set to 0 or 1, got {value}")
            return 2.0 * float(value) - 1.0
        if not np.isfinite(value):
            raise ValueError(f"continuous attribute '{name}' needs a finite value, got {value}")
        return (float(value) - self.y_mean[j]) / self.y_std[j]

    def check_values(self, values: Mapping[str, float], where: str) -> dict[str, float]:
        """Validated request ``{name: value}`` (user units); ValueError naming ``where``."""
        unknown = [a for a in values if a not in self.attributes]
        if unknown:
            raise ValueError(f"{where}: unknown attribute(s) {unknown}; known: {self.attributes}")
        for name, v in values.items():
            self.target(name, v)
        return {a: float(v) for a, v in values.items()}

    def request(
        self, values: Mapping[str, float], n: int, generator: torch.Generator | None = None
    ) -> Tensor:
        """User-unit labels ``(n, k)`` for a generation request.

        Requested attributes take their value; the others are drawn from the training marginals
        (binary: Bernoulli(positive rate); continuous: Normal(mean, std)), as PluGeN does.
        """
        values = self.check_values(values, "generate")
        k = len(self.attributes)
        draw_bin = (torch.rand(n, k, generator=generator) < torch.tensor(self.pos_rate)).float()
        draw_cont = torch.tensor(self.y_mean) + torch.tensor(self.y_std) * torch.randn(
            n, k, generator=generator
        )
        cont = torch.tensor([self.kinds[a] == "continuous" for a in self.attributes])
        y = torch.where(cont, draw_cont, draw_bin)
        for name, v in values.items():
            y[:, self.attributes.index(name)] = v
        return y

    def to_dict(self) -> dict:
        return {
            "y_mean": self.y_mean,
            "y_std": self.y_std,
            "pos_rate": self.pos_rate,
        }


# --------------------------------------------------------------------------- interfaces
class _Editor(abc.ABC):
    """What both editor kinds share: names, kinds, the tasks they can do, persistence."""

    method: ClassVar[str]
    checkpoint_format: ClassVar[str]
    checkpoint_version: ClassVar[int] = 1
    tasks: ClassVar[tuple[str, ...]] = ("generation", "manipulation")
    #: The training settings ``fit`` uses when given none: the method's own defaults (the
    #: schema's ``baselines.<method>.train`` defaults are these; a test checks).
    train_defaults: ClassVar[TrainConfig] = TrainConfig(progress=False)

    attributes: list[str]
    kinds: dict[str, str]

    config: dict
    coding: LabelCoding
    history: list[dict]
    fitted: bool

    @abc.abstractmethod
    def _weights(self) -> dict:
        """What the checkpoint holds beside config, label coding and history."""

    @abc.abstractmethod
    def _restore(self, weights: dict, device: str | torch.device) -> None:
        """Put :meth:`_weights` back into a freshly built editor, on ``device``."""

    def train_config(self, train: TrainConfig | None, settings: Mapping[str, Any]) -> TrainConfig:
        """``train`` (default: :attr:`train_defaults`) with ``settings``, fields of
        :class:`~plugen.train.TrainConfig`, over it.

        Raises TypeError naming a setting that is not a field.
        """
        names = TrainConfig.__dataclass_fields__
        unknown = [k for k in settings if k not in names]
        if unknown:
            raise TypeError(
                f"{self.method}.fit: {unknown} are not training settings; known: {list(names)}"
            )
        return replace(train if train is not None else self.train_defaults, **settings)

    @classmethod
    def _build(cls, config: dict, device: str | torch.device) -> _Editor:
        return cls(device=device, **config)

    def save(self, path: str | Path) -> None:
        """Write config, label coding, history and weights to ``path`` atomically."""
        save_checkpoint(
            path,
            self.checkpoint_format,
            self.checkpoint_version,
            method=self.method,
            config=self.config,
            coding=self.coding.to_dict(),
            history=self.history,
            fitted=self.fitted,
            weights=self._weights(),
        )

    @classmethod
    def load(cls, path: str | Path, device: str | torch.device = "cpu") -> _Editor:
        """Read an editor written by :meth:`save`, on ``device``; ValueError for a foreign
        file."""
        state = load_checkpoint(path, cls.checkpoint_format, cls.checkpoint_version, cls.__name__)
        model = cls._build(state["config"], device)
        model.coding = LabelCoding(model.attributes, model.kinds, **state["coding"])
        model.history, model.fitted = state["history"], state["fitted"]
        model._restore(state["weights"], device)
        return model


class LatentEditor(_Editor):
    """An attribute editor on a frozen backbone's latent space (same calls as PluGeN)."""

    latent_dim: int

    @abc.abstractmethod
    def fit(
        self,
        z: ArrayLike,
        y: ArrayLike,
        z_std: ArrayLike | None = None,
        *,
        train: TrainConfig | None = None,
        logger: logging.Logger | None = None,
        **settings: Any,
    ) -> History:
        """Fit on latents ``z: (n, d)`` and labels ``y: (n, k)`` (user units, NaN = unknown);
        ``z_std: (n, d)``: the backbone posterior's spread, to fit posterior samples instead of
        the means ``z`` (:mod:`plugen.posterior`), as PluGeN does.

        Returns the history, one dict per epoch (or per attribute for closed-form fits).
        """

    @abc.abstractmethod
    def generate(
        self,
        values: Mapping[str, float],
        n: int,
        temperature: float = 1.0,
        seed: int | None = None,
    ) -> np.ndarray:
        """``n`` latents ``(n, d)`` with the requested attribute ``values``.

        Raises NotImplementedError for a method that does not generate.
        """

    @abc.abstractmethod
    def manipulate(
        self,
        z: ArrayLike,
        values: Mapping[str, float],
        source_labels: ArrayLike | None = None,
    ) -> ArrayLike:
        """Latents ``(n, d)`` -> edited latents ``(n, d)`` with ``values`` set.

        ``source_labels: (n, k)`` are the labels of ``z`` (user units, NaN = unknown), needed by
        methods that condition on them (ValueError when such a method gets none).
        """


class ImageEditor(_Editor):
    """An attribute editor that owns its encoder/decoder: uint8 images ``(n, H, W, 3)``."""

    size: int

    @abc.abstractmethod
    def fit(
        self,
        images: np.ndarray,
        y: ArrayLike,
        *,
        train: TrainConfig | None = None,
        logger: logging.Logger | None = None,
        **settings: Any,
    ) -> History:
        """Fit on uint8 images ``(n, H, W, 3)`` and labels ``(n, k)``; returns the history."""

    @abc.abstractmethod
    def generate(
        self,
        values: Mapping[str, float],
        n: int,
        temperature: float = 1.0,
        seed: int | None = None,
    ) -> np.ndarray:
        """``n`` uint8 images ``(n, H, W, 3)`` with the requested ``values``.

        Raises NotImplementedError for a method that does not generate.
        """

    @abc.abstractmethod
    def manipulate(
        self,
        images: np.ndarray,
        values: Mapping[str, float],
        source_labels: ArrayLike | None = None,
    ) -> np.ndarray:
        """uint8 images ``(n, H, W, 3)`` -> edited images of the same shape.

        Raises NotImplementedError for a method that does not manipulate.
        """
