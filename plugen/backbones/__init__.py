"""Frozen generative backbones shared by experiments (image VAE, DCGAN, GAN inversion, a user's
TorchScript encoder, decoder and judge); an experiment's own backbone lives in its folder."""

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

IMAGE_BACKBONES = ("vae", "gan", "torchscript")


def image_decoder(decoder: Mapping[str, Any], device="cpu") -> Callable[[np.ndarray], np.ndarray]:
    """``z (n, d) -> uint8 images (n, H, W, 3)`` for a decoder described as in
    :class:`plugen.experiments.Decoder` (``kind``, ``path``, and for ``torchscript``
    ``layers`` and ``image_range``)."""
    kind, path = decoder["kind"], decoder["path"]
    if kind == "vae":
        from plugen.backbones.image_vae import ImageVAE, decode_latents

        model = ImageVAE.load(path, device)
    elif kind == "gan":
        from plugen.backbones.dcgan import DCGAN, decode_latents

        model = DCGAN.load(path, device)
    elif kind == "torchscript":
        from plugen.backbones.torchscript import ScriptedDecoder

        return ScriptedDecoder(
            path, device, layers=decoder.get("layers"), image_range=tuple(decoder["image_range"])
        )
    else:
        raise ValueError(f"image_decoder: kind must be one of {IMAGE_BACKBONES}, got {kind!r}")
    return lambda z: decode_latents(model, z)
