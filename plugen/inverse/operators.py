"""Forward operators ``A``: what an observation ``y = A(x) + noise`` keeps of an image ``x``.

An operator maps images ``(n, C, H, W)`` on the [0, 1] scale to observations (any shape, the
same for every image) and is differentiable in torch. Per-image operators (a mask per image)
implement :meth:`Operator.select`, which the searches call to align them with a batch of
candidate images. A user's operator subclasses :class:`Operator` and overrides ``__call__``
(and ``select`` when it holds per-image state).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


class Operator:
    """A forward operator; ``noise``: std of the Gaussian noise :meth:`observe` adds."""

    noise: float = 0.0

    def __call__(self, x: Tensor) -> Tensor:  # pragma: no cover - interface
        raise NotImplementedError

    def select(self, index: Tensor) -> Operator:
        """The operator of images ``index`` (a long tensor of positions in the batch this
        operator was built for); image-independent operators return themselves."""
        return self

    def observed(self) -> Tensor | None:
        """Pixels the observation shows, ``(n, 1, H, W)`` (1 = observed), for compositing;
        None when the operator is not a mask."""
        return None

    def data_terms(self, images: Tensor, y: Tensor, index: Tensor, noise: float = 1.0) -> Tensor:
        """``0.5 |A_i(x_j) - y_i|^2 / noise^2`` for every observation ``i`` (``y`` ``(n, ...)``,
        positions ``index`` in this operator's batch) and candidate image ``j`` (``images``
        ``(m, C, H, W)``): ``(n, m)``. Applies the operator once when it is the same for every
        image, else once per observation."""
        if self.select(index[:1]) is self:
            pred = self(images).flatten(1).double()
            sq = torch.cdist(y.flatten(1).double(), pred).pow(2)
        else:
            sq = torch.stack(
                [
                    (self.select(i.repeat(len(images)))(images) - y[j]).pow(2).flatten(1).sum(1)
                    for j, i in enumerate(index)
                ]
            ).double()
        return (0.5 * sq / noise**2).float()

    def observe(self, x: Tensor, seed: int = 0) -> Tensor:
        """``A(x)`` plus seeded Gaussian noise of std :attr:`noise`."""
        y = self(x)
        if self.noise > 0:
            gen = torch.Generator().manual_seed(seed)
            y = y + self.noise * torch.randn(y.shape, generator=gen).to(y.device, y.dtype)
        return y


class Mask(Operator):
    """Keep the pixels where ``keep`` ``(n, 1, H, W)`` (or ``(1, 1, H, W)``) is 1; the hidden
    ones read 0. ValueError for a ``keep`` of another rank or with values outside [0, 1]."""

    def __init__(self, keep: Tensor, noise: float = 0.0) -> None:
        keep = torch.as_tensor(keep, dtype=torch.float32)
        if keep.ndim != 4 or keep.shape[1] != 1:
            raise ValueError(f"Mask: keep has shape {tuple(keep.shape)}, expected (n, 1, H, W)")
        if keep.numel() and (keep.min() < 0 or keep.max() > 1):
            raise ValueError("Mask: keep must hold values in [0, 1] (1 = observed)")
        self.keep, self.noise = keep, float(noise)

    def __call__(self, x: Tensor) -> Tensor:
        keep = self.keep.to(x.device)
        if x.ndim != 4 or x.shape[2:] != keep.shape[2:] or keep.shape[0] not in (1, len(x)):
            raise ValueError(
                f"Mask: images of shape {tuple(x.shape)} do not match the mask "
                f"{tuple(keep.shape)} (expected (n, C, H, W) with the mask's H x W)"
            )
        return x * keep

    def select(self, index: Tensor) -> Mask:
        return self if len(self.keep) == 1 else Mask(self.keep[index.cpu()], self.noise)

    def data_terms(self, images: Tensor, y: Tensor, index: Tensor, noise: float = 1.0) -> Tensor:
        """As :meth:`Operator.data_terms`, by expanding the square:
        ``sum (m_i x_j - y_i)^2 = (m_i^2) . x_j^2 - 2 (m_i y_i) . x_j + |y_i|^2``."""
        keep = (
            self.keep[index.cpu()] if len(self.keep) > 1 else self.keep.expand(len(y), -1, -1, -1)
        )
        m = keep.to(images.device).expand(-1, images.shape[1], -1, -1).flatten(1).double()
        x, obs = images.flatten(1).double(), y.flatten(1).double()
        sq = (m * m) @ (x * x).T - 2 * (m * obs) @ x.T + (obs * obs).sum(1, keepdim=True)
        return (0.5 * sq.clamp_min(0) / noise**2).float()

    def observed(self) -> Tensor:
        return self.keep


class Downsample(Operator):
    """Average-pool by ``factor`` (2 or 4, ...): ``(n, C, H, W) -> (n, C, H/f, W/f)``."""

    def __init__(self, factor: int, noise: float = 0.0) -> None:
        if int(factor) < 1:
            raise ValueError(f"Downsample: factor must be >= 1, got {factor}")
        self.factor, self.noise = int(factor), float(noise)

    def __call__(self, x: Tensor) -> Tensor:
        if x.shape[-1] % self.factor or x.shape[-2] % self.factor:
            raise ValueError(
                f"Downsample: image size {tuple(x.shape[-2:])} is not divisible by {self.factor}"
            )
        return F.avg_pool2d(x, self.factor)


class Greyscale(Operator):
    """Luma (ITU-R BT.601 weights): ``(n, 3, H, W) -> (n, 1, H, W)``."""

    weights = (0.299, 0.587, 0.114)

    def __init__(self, noise: float = 0.0) -> None:
        self.noise = float(noise)

    def __call__(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(f"Greyscale: expected (n, 3, H, W) images, got {tuple(x.shape)}")
        w = torch.tensor(self.weights, device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
        return (x * w).sum(1, keepdim=True)


def make_operator(kind: str, *, keep: Tensor | None = None, factor: int = 2, noise: float = 0.0):
    """An operator by name: ``mask`` (needs ``keep``), ``downsample`` (``factor``),
    ``greyscale``. ValueError for another name."""
    if kind == "mask":
        if keep is None:
            raise ValueError("make_operator: 'mask' needs keep (n, 1, H, W)")
        return Mask(keep, noise)
    if kind == "downsample":
        return Downsample(factor, noise)
    if kind == "greyscale":
        return Greyscale(noise)
    raise ValueError(f"operator must be one of mask, downsample, greyscale; got {kind!r}")
