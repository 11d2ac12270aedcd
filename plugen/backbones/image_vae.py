"""Convolutional VAE backbone for images, plus numpy-friendly image/checkpoint helpers.

Images in memory are uint8 arrays ``(n, H, W, 3)``; the model sees float tensors
``(n, 3, H, W)`` in [0, 1]. ``encode`` returns the posterior mean (what PluGeN is trained on),
``decode`` returns pixel probabilities in [0, 1].
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from plugen.checkpoint import ConfigCheckpoint
from plugen.evaluate.metrics import image_error
from plugen.nn import conv_decoder, conv_encoder, module_device
from plugen.train import History, TrainConfig, seed_everything, train

log = logging.getLogger(__name__)

FORMAT = "plugen-image-vae"
FORMAT_VERSION = 1


# --------------------------------------------------------------------------- shared helpers
def check_images(images: np.ndarray, where: str, size: int | None = None) -> np.ndarray:
    """Validate a uint8 image batch ``(n, H, W, 3)``; raise a ValueError naming ``where``."""
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
        raise ValueError(
            f"{where}: images have shape {images.shape} and dtype {images.dtype}, "
            "expected uint8 (n, H, W, 3)"
        )
    if size is not None and images.shape[1:3] != (size, size):
        side = f"{images.shape[1]}x{images.shape[2]}"
        raise ValueError(f"{where}: images are {side}, expected {size}x{size}")
    return images


def images_to_tensor(images: np.ndarray) -> Tensor:
    """uint8 ``(n, H, W, 3)`` -> uint8 tensor ``(n, 3, H, W)`` (convert with ``.float() / 255``)."""
    return torch.from_numpy(np.array(np.asarray(images).transpose(0, 3, 1, 2), order="C"))


def unit_images(images: np.ndarray) -> np.ndarray:
    """uint8 images ``(n, H, W, 3)`` -> float32 array ``(n, 3, H, W)`` on [0, 1]."""
    return images_to_tensor(images).float().div(255).numpy()


def tensor_to_images(x: Tensor) -> np.ndarray:
    """Float tensor ``(n, 3, H, W)`` in [0, 1] -> uint8 array ``(n, H, W, 3)`` (rounded)."""
    x = (x.detach().float().clamp(0, 1) * 255).round().to(torch.uint8)
    return x.permute(0, 2, 3, 1).cpu().numpy()


@torch.no_grad()
def map_image_batches(
    fn: Callable[[Tensor], Tensor],
    images: np.ndarray,
    batch_size: int,
    device: torch.device | str = "cpu",
) -> np.ndarray:
    """Apply ``fn`` to float ``(b, 3, H, W)`` [0, 1] batches of uint8 images; stack as numpy."""
    out = [
        fn(images_to_tensor(images[i : i + batch_size]).to(device).float() / 255.0).cpu()
        for i in range(0, len(images), batch_size)
    ]
    return torch.cat(out).numpy() if out else np.empty((0,), dtype=np.float32)


# --------------------------------------------------------------------------- the model
class ImageVAE(ConfigCheckpoint, nn.Module):
    """Gaussian-latent VAE with a strided-conv encoder and transposed-conv decoder.

    size: image side (divisible by ``2 ** len(widths)``); latent_dim: width of z;
    widths: encoder channels (the decoder mirrors them); likelihood: ``"bernoulli"``
    (binary cross-entropy on [0, 1] pixels) or ``"mse"`` (Gaussian with standard deviation
    ``mse_scale`` on [0, 1] pixels); beta: weight of the KL term (0.5 keeps procedural shapes'
    attributes readable in reconstructions and more latent dimensions active than 1.0).
    """

    checkpoint_format, checkpoint_version = FORMAT, FORMAT_VERSION
    checkpoint_what = "image VAE"

    def __init__(
        self,
        size: int = 32,
        latent_dim: int = 64,
        widths: tuple[int, ...] = (32, 64, 128),
        likelihood: str = "bernoulli",
        beta: float = 0.5,
        mse_scale: float = 0.1,
    ) -> None:
        super().__init__()
        if likelihood not in ("bernoulli", "mse"):
            raise ValueError(f"ImageVAE: likelihood must be bernoulli or mse, got {likelihood!r}")
        self.config = {
            "size": size,
            "latent_dim": latent_dim,
            "widths": list(widths),
            "likelihood": likelihood,
            "beta": beta,
            "mse_scale": mse_scale,
        }
        self.latent_dim = latent_dim
        self.size = size
        self.encoder = conv_encoder(3, list(widths), size, 2 * latent_dim)
        self.decoder = conv_decoder(latent_dim, list(widths)[::-1], size, 3)
        self.kl_weight = 1.0  # warm-up multiplier of beta while training

    def posterior(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """x: ``(n, 3, H, W)`` in [0, 1] -> (mean, log-variance), each ``(n, latent_dim)``."""
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar.clamp(-12.0, 8.0)

    def encode(self, x: Tensor) -> Tensor:
        """x: ``(n, 3, H, W)`` in [0, 1] -> posterior mean ``(n, latent_dim)``."""
        return self.posterior(x)[0]

    def decode_logits(self, z: Tensor) -> Tensor:
        """z: ``(n, latent_dim)`` -> pixel logits ``(n, 3, H, W)``."""
        return self.decoder(z)

    def decode(self, z: Tensor) -> Tensor:
        """z: ``(n, latent_dim)`` -> images ``(n, 3, H, W)`` in [0, 1]."""
        return torch.sigmoid(self.decoder(z))

    def reconstruction_nll(self, logits: Tensor, x: Tensor) -> Tensor:
        """Per-image negative log-likelihood ``(n,)`` of ``x`` under the decoder output."""
        if self.config["likelihood"] == "bernoulli":
            nll = F.binary_cross_entropy_with_logits(logits, x, reduction="none")
        else:
            nll = 0.5 * ((torch.sigmoid(logits) - x) / self.config["mse_scale"]) ** 2
        return nll.flatten(1).sum(1)


def vae_loss(vae: ImageVAE, batch: tuple[Tensor, ...]) -> dict[str, Tensor]:
    """Negative ELBO per image for a uint8 batch ``(n, 3, H, W)``: recon + beta * KL.

    While training, beta is multiplied by the warm-up weight ``vae.kl_weight``; in eval mode
    (validation, early stopping) the full beta is used so epochs are comparable.
    """
    x = batch[0].float() / 255.0
    mu, logvar = vae.posterior(x)
    z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
    recon = vae.reconstruction_nll(vae.decode_logits(z), x).mean()
    kl = kl_per_dim(mu, logvar).sum(1).mean()
    beta = vae.config["beta"] * (vae.kl_weight if vae.training else 1.0)
    return {"loss": recon + beta * kl, "recon": recon, "kl": kl}


def kl_per_dim(mu: Tensor, logvar: Tensor) -> Tensor:
    """KL(q(z|x) || N(0, I)) per example and dimension ``(n, d)``."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)


def fit_vae(
    images: np.ndarray,
    cfg: TrainConfig,
    vae_kwargs: dict | None = None,
    device: torch.device | str = "cpu",
    *,
    val_images: np.ndarray | None = None,
    kl_warmup_epochs: int = 0,
    history: History | None = None,
) -> tuple[ImageVAE, History]:
    """Train an :class:`ImageVAE` on uint8 images ``(n, H, W, 3)`` with :func:`plugen.train.train`.

    vae_kwargs: :class:`ImageVAE` arguments (``size`` defaults to the image size).
    val_images: early-stopping set (else a ``cfg.val_fraction`` split). kl_warmup_epochs: the
    KL weight grows linearly from ``1 / (k + 1)`` to 1 over the first ``k`` epochs.
    """
    images = check_images(images, "fit_vae")
    kwargs = {"size": images.shape[1], **(vae_kwargs or {})}
    seed_everything(cfg.seed)  # seeded weight init
    vae = ImageVAE(**kwargs)
    check_images(images, "fit_vae", vae.size)

    def warmup(epoch: int, row: dict[str, float] | None = None) -> None:
        vae.kl_weight = min(1.0, (epoch + 2) / (kl_warmup_epochs + 1))

    warmup(-1)
    val = None if val_images is None else [images_to_tensor(check_images(val_images, "fit_vae"))]
    history = train(
        vae,
        vae_loss,
        [images_to_tensor(images)],
        cfg,
        val_data=val,
        device=device,
        history=history if history is not None else History("vae", log),
        on_epoch_end=warmup,
    )
    vae.kl_weight = 1.0
    return vae, history


# --------------------------------------------------------------------------- numpy helpers
def encode_images(vae: ImageVAE, images: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """uint8 images ``(n, H, W, 3)`` -> posterior means float32 ``(n, latent_dim)``."""
    return encode_posterior(vae, images, batch_size)[0]


@torch.no_grad()
def encode_posterior(
    vae: ImageVAE, images: np.ndarray, batch_size: int = 512
) -> tuple[np.ndarray, np.ndarray]:
    """uint8 images ``(n, H, W, 3)`` -> the posterior's (means, standard deviations), each
    float32 ``(n, latent_dim)``."""
    images = check_images(images, "encode_posterior", vae.size)
    vae.eval()

    def stacked(x: Tensor) -> Tensor:
        mu, logvar = vae.posterior(x)
        return torch.stack([mu, (0.5 * logvar).exp()], 1)

    out = map_image_batches(stacked, images, batch_size, module_device(vae))
    out = out.reshape(len(images), 2, vae.latent_dim).astype(np.float32)
    return out[:, 0].copy(), out[:, 1].copy()


@torch.no_grad()
def decode_latents(vae: ImageVAE, z: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """Latents ``(n, latent_dim)`` -> uint8 images ``(n, H, W, 3)``."""
    z = np.asarray(z, dtype=np.float32)
    if z.ndim != 2 or z.shape[1] != vae.latent_dim:
        raise ValueError(f"decode_latents: z has shape {z.shape}, expected (n, {vae.latent_dim})")
    vae.eval()
    dev = module_device(vae)
    parts = [
        tensor_to_images(vae.decode(torch.from_numpy(z[i : i + batch_size]).to(dev)))
        for i in range(0, len(z), batch_size)
    ]
    return np.concatenate(parts) if parts else np.empty((0, vae.size, vae.size, 3), np.uint8)


def reconstruct(vae: ImageVAE, images: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """uint8 images -> uint8 reconstructions (decode of the posterior mean), same shape."""
    return decode_latents(vae, encode_images(vae, images, batch_size), batch_size)


def reconstruction_quality(vae: ImageVAE, images: np.ndarray, batch_size: int = 512) -> dict:
    """Pixel MSE (on the [0, 1] scale, mean over pixels and images) and PSNR in dB (from it)."""
    return image_error(images, reconstruct(vae, images, batch_size))


def latent_kl(vae: ImageVAE, images: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """Mean KL per latent dimension ``(latent_dim,)`` over ``images``, in nats."""
    images = check_images(images, "latent_kl", vae.size)
    vae.eval()
    kl = map_image_batches(
        lambda x: kl_per_dim(*vae.posterior(x)), images, batch_size, module_device(vae)
    )
    return kl.reshape(len(images), vae.latent_dim).mean(0)


def active_dims(kl: np.ndarray, threshold: float = 0.01) -> int:
    """Number of latent dimensions whose mean KL exceeds ``threshold`` nats."""
    return int(np.sum(np.asarray(kl) > threshold))
