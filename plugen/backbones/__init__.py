"""Frozen generative backbones shared by experiments (image VAE, DCGAN, GAN inversion, a user's
TorchScript encoder, decoder and judge, the PointNet autoencoder); an experiment's own backbone
lives in its folder."""

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

IMAGE_BACKBONES = ("vae", "gan", "torchscript")
CLOUD_BACKBONES = ("pointnet", "torchscript_cloud")


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
    elif kind in CLOUD_BACKBONES:
        from plugen.plots import render_clouds

        clouds = cloud_decoder(decoder, device)
        return lambda z: render_clouds(clouds(z))
    else:
        known = IMAGE_BACKBONES + CLOUD_BACKBONES
        raise ValueError(f"image_decoder: kind must be one of {known}, got {kind!r}")
    return lambda z: decode_latents(model, z)


def torch_decoder(decoder: Mapping[str, Any], device="cpu") -> tuple[Callable, int | None]:
    """A differentiable image decoder for latent searches: (``z (n, d) tensor -> images
    (n, 3, H, W)`` on the [0, 1] scale, its latent width or None when the file does not say)
    for ``kind`` vae, gan (its synthesis: the latents PluGeN models) or torchscript."""
    kind, path = decoder["kind"], decoder["path"]
    if kind == "vae":
        from plugen.backbones.image_vae import ImageVAE

        vae = ImageVAE.load(path, device).eval()
        return vae.decode, vae.latent_dim
    if kind == "gan":
        from plugen.backbones.dcgan import DCGAN

        gan = DCGAN.load(path, device)
        return gan.decode, gan.latent_dim
    if kind == "torchscript":
        from plugen.backbones.torchscript import ScriptedDecoder

        scripted = ScriptedDecoder(
            path, device, layers=decoder.get("layers"), image_range=tuple(decoder["image_range"])
        )
        return scripted.differentiable, None
    raise ValueError(f"torch_decoder: kind must be one of {IMAGE_BACKBONES}, got {kind!r}")


def cloud_decoder(decoder: Mapping[str, Any], device="cpu") -> Callable[[np.ndarray], np.ndarray]:
    """``z (n, d) -> float32 point clouds (n, P, 3)`` for a point-cloud decoder (``kind`` in
    :data:`CLOUD_BACKBONES`: ``pointnet``, this project's PointNet autoencoder checkpoint, or
    ``torchscript_cloud``, a user's TorchScript decoder with ``(n, P, 3)`` output)."""
    if decoder["kind"] == "torchscript_cloud":
        from plugen.backbones.torchscript import ScriptedCloudDecoder

        return ScriptedCloudDecoder(decoder["path"], device, layers=decoder.get("layers"))
    if decoder["kind"] != "pointnet":
        raise ValueError(
            f"cloud_decoder: kind must be one of {CLOUD_BACKBONES}, got {decoder['kind']!r}"
        )
    from plugen.backbones.pointnet import PointNetAE, decode_latents

    model = PointNetAE.load(decoder["path"], device)
    return lambda z: decode_latents(model, z)


def write_decoded(
    decoder: Mapping[str, Any],
    z: np.ndarray,
    directory: str | Path,
    names: Sequence[str],
    device="cpu",
) -> dict[str, list[str]]:
    """Decode latents ``(n, d)`` into ``directory`` (beside the table that will list them):
    the payload columns for the samples table, ``{"image_path": [...]}`` for an image decoder,
    and for a point-cloud decoder also ``{"cloud_path": [...]}`` (one float32 shard; the
    images are the clouds' three-view renderings)."""
    from plugen import io

    if decoder["kind"] not in CLOUD_BACKBONES:
        return {"image_path": io.write_images(image_decoder(decoder, device)(z), directory, names)}
    from plugen.plots import render_clouds

    clouds = cloud_decoder(decoder, device)(z)
    return {
        "image_path": io.write_images(render_clouds(clouds), directory, names),
        "cloud_path": io.write_clouds(clouds, directory),
    }


def judged_decoder(decoder: Mapping[str, Any], device="cpu") -> Callable[[np.ndarray], np.ndarray]:
    """What the judge of ``decoder``'s output reads, from latents ``(n, d)``: point clouds
    ``(n, P, 3)`` for a point-cloud decoder, else uint8 images ``(n, H, W, 3)``."""
    if decoder["kind"] in CLOUD_BACKBONES:
        return cloud_decoder(decoder, device)
    return image_decoder(decoder, device)
