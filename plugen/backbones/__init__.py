"""Frozen generative backbones (image VAE, DCGAN, CharVAE, StyleGAN latents)."""

from collections.abc import Callable

import numpy as np

IMAGE_BACKBONES = ("vae", "gan")


def image_decoder(kind: str, path: str, device="cpu") -> Callable[[np.ndarray], np.ndarray]:
    """``z (n, d) -> uint8 images (n, S, S, 3)`` for a saved image backbone of ``kind``."""
    if kind == "vae":
        from plugen.backbones.image_vae import ImageVAE, decode_latents

        model = ImageVAE.load(path, device)
    elif kind == "gan":
        from plugen.backbones.dcgan import DCGAN, decode_latents

        model = DCGAN.load(path, device)
    else:
        raise ValueError(f"image_decoder: kind must be one of {IMAGE_BACKBONES}, got {kind!r}")
    return lambda z: decode_latents(model, z)
