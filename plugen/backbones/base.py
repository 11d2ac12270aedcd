"""The backbone protocol: anything with ``encode``, ``decode`` and ``latent_dim``.

PluGeN never imports a backbone; the workflow pairs them. Decoder-only backbones (GANs)
reach real data through :func:`invert` (gradient-descent GAN inversion).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from torch import Tensor


@runtime_checkable
class Backbone(Protocol):
    """A frozen generative model with a latent space of width ``latent_dim``.

    encode: data batch -> z ``(n, latent_dim)`` (posterior mean for VAEs; GANs invert).
    decode: z ``(n, latent_dim)`` -> data batch (images ``(n, C, H, W)`` in [0, 1], or tokens).
    """

    latent_dim: int

    def encode(self, x: Tensor) -> Tensor: ...

    def decode(self, z: Tensor) -> Tensor: ...


from plugen.backbones.inversion import InversionResult, invert  # noqa: E402

__all__ = ["Backbone", "InversionResult", "invert"]
