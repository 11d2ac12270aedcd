"""DCGAN backbone: a decoder-only image generator trained in the pipeline (Table 1 analogue).

The paper attaches PluGeN to a pretrained StyleGAN without an encoder: latents are sampled and
decoded, an external classifier labels the images, and real images are edited through GAN
inversion. :class:`DCGAN` plays that role for an image data set: ``decode`` maps ``z ~ N(0, I)``
to images and ``encode`` inverts images with :func:`~plugen.backbones.inversion.invert`.
"""

from __future__ import annotations

import copy
import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from plugen.backbones.image_vae import (
    check_images,
    images_to_tensor,
    tensor_to_images,
)
from plugen.backbones.inversion import InversionResult, invert
from plugen.checkpoint import load_checkpoint, save_checkpoint
from plugen.nn import conv_decoder, conv_encoder, module_device, to_device
from plugen.train import (
    History,
    batches,
    fingerprint,
    load_training_state,
    random_state,
    restore_random_state,
    seed_everything,
)

log = logging.getLogger(__name__)

FORMAT = "plugen-dcgan"
FORMAT_VERSION = 1
STATE_FORMAT = "plugen-dcgan-train-state"
STATE_VERSION = 1


@dataclass
class GANConfig:
    """Architecture and training hyper-parameters of :class:`DCGAN` (round-trips to JSON).

    Defaults (about 2 min on 12k 32x32 images, 2 CPU cores): logistic non-saturating loss, a
    discriminator without normalization plus a minibatch-std feature and a lazy R1 penalty
    (``r1_gamma`` every ``r1_every`` steps), Adam(lr, (beta1, beta2)) for both nets.
    loss: ``"nonsaturating"`` or ``"hinge"``; d_norm: ``"none"``, ``"spectral"`` or ``"batch"``.
    ema_decay: exponential moving average of the generator weights used for decoding (0
    disables it); after training the generator's batch-norm statistics are re-estimated on
    ``bn_samples`` latents.
    mapping_layers > 0 adds a StyleGAN-like mapping network ``w = mapping(z)`` (an MLP after
    normalizing z): the backbone's latent space is then W (``decode`` takes w, inversion
    returns w, prior samples are ``mapping(z)``), which tends to be less entangled than Z.
    """

    latent_dim: int = 32
    image_size: int = 32
    g_widths: list[int] = field(default_factory=lambda: [128, 64, 32])
    d_widths: list[int] = field(default_factory=lambda: [32, 64, 128])
    epochs: int = 6
    batch_size: int = 64
    lr: float = 2e-3
    beta1: float = 0.0
    beta2: float = 0.99
    loss: str = "nonsaturating"
    d_norm: str = "none"
    r1_gamma: float = 0.1
    r1_every: int = 4
    minibatch_std: bool = True
    ema_decay: float = 0.995
    bn_samples: int = 4096
    mapping_layers: int = 0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.d_norm not in ("spectral", "batch", "none"):
            raise ValueError(
                f"GANConfig.d_norm must be 'spectral', 'batch' or 'none', got {self.d_norm!r}"
            )
        if self.loss not in ("nonsaturating", "hinge"):
            raise ValueError(
                f"GANConfig.loss must be 'nonsaturating' or 'hinge', got {self.loss!r}"
            )
        for name in ("latent_dim", "image_size", "epochs", "batch_size", "r1_every", "bn_samples"):
            if getattr(self, name) < 1:
                raise ValueError(f"GANConfig.{name} must be >= 1, got {getattr(self, name)}")
        if self.mapping_layers < 0:
            raise ValueError(f"GANConfig.mapping_layers must be >= 0, got {self.mapping_layers}")
        if not 0.0 <= self.ema_decay < 1.0:
            raise ValueError(f"GANConfig.ema_decay must be in [0, 1), got {self.ema_decay}")
        self.g_widths, self.d_widths = list(self.g_widths), list(self.d_widths)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> GANConfig:
        unknown = set(d) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"GANConfig: unknown keys {sorted(unknown)}")
        return cls(**d)


class MinibatchStd(nn.Module):
    """Append the batch mean of per-feature standard deviations: ``(n, f) -> (n, f + 1)``.

    Lets the discriminator see sample diversity, which counters mode collapse (ProGAN).
    """

    def forward(self, h: Tensor) -> Tensor:
        std = h.std(0, unbiased=False).mean() if len(h) > 1 else h.new_zeros(())
        return torch.cat([h, std.expand(len(h), 1)], 1)


def _replace_norm(net: nn.Module, spectral: bool) -> None:
    """Drop batch norm; with ``spectral``, spectrally normalize every conv/linear layer."""
    for name, layer in net.named_children():
        if isinstance(layer, nn.BatchNorm2d):
            setattr(net, name, nn.Identity())
        elif isinstance(layer, (nn.Conv2d, nn.Linear)):
            if spectral:
                setattr(net, name, nn.utils.parametrizations.spectral_norm(layer))
        else:
            _replace_norm(layer, spectral)


class PixelNorm(nn.Module):
    """Scale each latent to unit root-mean-square (StyleGAN's input normalization)."""

    def forward(self, z: Tensor) -> Tensor:
        return z * torch.rsqrt(z.pow(2).mean(1, keepdim=True) + 1e-8)


def mapping_network(dim: int, layers: int) -> nn.Sequential:
    """``z (n, dim) -> w (n, dim)``: pixel norm, then ``layers`` x (linear, LeakyReLU 0.2)."""
    mods: list[nn.Module] = [PixelNorm()]
    for _ in range(layers):
        mods += [nn.Linear(dim, dim), nn.LeakyReLU(0.2)]
    return nn.Sequential(*mods)


class DCGAN(nn.Module):
    """Generator ``z (n, latent_dim) -> images (n, 3, S, S)`` plus its discriminator.

    With ``cfg.mapping_layers`` the generator is ``synthesis(mapping(z))`` and the backbone's
    latent (what ``decode`` takes and PluGeN models) is ``w = mapping(z)``.
    """

    def __init__(self, cfg: GANConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.latent_dim = cfg.latent_dim
        synthesis = conv_decoder(cfg.latent_dim, cfg.g_widths, cfg.image_size, 3)
        if cfg.mapping_layers:
            self.generator = nn.Sequential()
            self.generator.add_module(
                "mapping", mapping_network(cfg.latent_dim, cfg.mapping_layers)
            )
            self.generator.add_module("synthesis", synthesis)
        else:
            self.generator = synthesis
        width = cfg.d_widths[-1]
        self.discriminator = nn.Sequential(
            conv_encoder(3, cfg.d_widths, cfg.image_size, width),
            nn.LeakyReLU(0.2),
            *([MinibatchStd()] if cfg.minibatch_std else []),
            nn.Linear(width + int(cfg.minibatch_std), 1),
        )
        if cfg.d_norm != "batch":
            _replace_norm(self.discriminator, cfg.d_norm == "spectral")

    @property
    def synthesis(self) -> nn.Module:
        return self.generator.synthesis if self.cfg.mapping_layers else self.generator

    def prior_latents(self, z: Tensor) -> Tensor:
        """The backbone latents of prior draws ``z ~ N(0, I)``: ``mapping(z)`` or ``z``."""
        if not self.cfg.mapping_layers:
            return z
        self.generator.eval()
        with torch.no_grad():
            return self.generator.mapping(z)

    def decode(self, z: Tensor) -> Tensor:
        """Latents ``(n, latent_dim)`` (w with a mapping network) -> images ``(n, 3, S, S)`` in
        [0, 1] (eval mode, frozen)."""
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(
                f"DCGAN.decode: z has shape {tuple(z.shape)}, expected (n, {self.latent_dim})"
            )
        self.generator.eval()
        return torch.sigmoid(self.synthesis(z))

    def critic(self, x: Tensor) -> Tensor:
        """Discriminator logits ``(n,)`` for images ``(n, 3, S, S)`` in [0, 1]."""
        return self.discriminator(x * 2 - 1).squeeze(1)

    def invert(self, x: Tensor, **kwargs) -> InversionResult:
        """GAN inversion of images ``(n, 3, S, S)`` in [0, 1]; ``kwargs`` go to :func:`invert`.
        The search runs over z (prior N(0, I)); with a mapping network the returned latents are
        ``w = mapping(z)``, which ``decode`` takes."""
        if not self.cfg.mapping_layers:
            return invert(self.decode, x, self.latent_dim, **kwargs)
        self.generator.eval()
        res = invert(lambda z: torch.sigmoid(self.generator(z)), x, self.latent_dim, **kwargs)
        device = module_device(self)
        res.z = self.prior_latents(res.z.to(device)).cpu()
        return res

    def encode(self, x: Tensor, **kwargs) -> Tensor:
        """Backbone encode = inversion: images ``(n, 3, S, S)`` -> z ``(n, latent_dim)``."""
        return self.invert(x, **kwargs).z.to(x.device)

    def save(self, path: str | Path) -> None:
        """Write weights, config and format version (atomically)."""
        save_checkpoint(
            path, FORMAT, FORMAT_VERSION, config=self.cfg.to_dict(), state=self.state_dict()
        )

    @classmethod
    def load(cls, path: str | Path, device: torch.device | str = "cpu") -> DCGAN:
        """Read a checkpoint written by :meth:`save`; a foreign or newer file raises ValueError."""
        ckpt = load_checkpoint(path, FORMAT, FORMAT_VERSION, "DCGAN")
        gan = cls(GANConfig.from_dict(ckpt["config"]))
        gan.load_state_dict(ckpt["state"])
        return to_device(gan, device).eval()


def _gan_losses(real_logits: Tensor, fake_logits: Tensor, kind: str) -> Tensor:
    """Discriminator loss (scalar) for real/fake logits."""
    if kind == "hinge":
        return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def _generator_loss(fake_logits: Tensor, kind: str) -> Tensor:
    return -fake_logits.mean() if kind == "hinge" else F.softplus(-fake_logits).mean()


def _r1_penalty(gan: DCGAN, real: Tensor) -> Tensor:
    """R1 regularizer: half the mean squared norm of the critic's gradient on real images."""
    real = real.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(gan.critic(real).sum(), [real], create_graph=True)
    return 0.5 * grad.pow(2).flatten(1).sum(1).mean()


@torch.no_grad()
def _ema_update(ema: nn.Module, model: nn.Module, decay: float) -> None:
    for pe, pm in zip(ema.parameters(), model.parameters(), strict=True):
        pe.lerp_(pm, 1.0 - decay)


@torch.no_grad()
def _recalibrate_bn(
    gan: DCGAN, n: int, batch_size: int, gen: torch.Generator, device: torch.device
) -> None:
    """Re-estimate the generator's batch-norm statistics as exact averages over ``n`` latents."""
    bns = [m for m in gan.generator.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average
    gan.generator.train()
    for lo in range(0, n, batch_size):
        gan.generator(
            torch.randn(min(batch_size, n - lo), gan.latent_dim, generator=gen).to(device)
        )
    for m in bns:
        m.momentum = 0.1
    gan.eval()


def fit_gan(
    images: np.ndarray,
    cfg: GANConfig,
    device: torch.device | str = "cpu",
    logger: logging.Logger | None = None,
    checkpoint: str | Path | None = None,
) -> tuple[DCGAN, History]:
    """Train a :class:`DCGAN` on uint8 images ``(n, S, S, 3)`` with alternating D/G Adam steps.

    One D step and one G step per mini-batch; the returned generator is the EMA of the
    generator weights (``cfg.ema_decay``) with re-estimated batch-norm statistics. Returns the
    model (eval mode) and a history with one row per epoch: ``d_loss``, ``g_loss``,
    ``real_score``/``fake_score`` (mean discriminator probability that a real/generated image
    is real). Deterministic on CPU for a fixed ``cfg.seed``.

    ``checkpoint``: file written after every epoch (both nets, the EMA, both optimizers, the
    step count, history and every RNG's state) and resumed from when it holds an earlier state
    of the same run (same config but ``epochs``, same images; "resumed from epoch N" is
    logged), so a resumed run ends with the same bytes as an uninterrupted one. A state of
    another run is overwritten, with a warning. The caller deletes the file when done.
    """
    device = torch.device(device)
    gen = seed_everything(cfg.seed)
    z_gen = torch.Generator().manual_seed(cfg.seed + 1)
    images = check_images(images, "fit_gan", cfg.image_size)
    if len(images) < 2:
        raise ValueError(f"fit_gan: got {len(images)} image(s), need at least 2")
    data = [images_to_tensor(images).float() / 255.0]
    gan = to_device(DCGAN(cfg), device)
    ema = copy.deepcopy(gan.generator) if cfg.ema_decay > 0 else None
    opt_g = torch.optim.Adam(gan.generator.parameters(), lr=cfg.lr, betas=(cfg.beta1, cfg.beta2))
    opt_d = torch.optim.Adam(
        gan.discriminator.parameters(), lr=cfg.lr, betas=(cfg.beta1, cfg.beta2)
    )
    history = History("gan", logger)
    step = start_epoch = 0
    key = None
    if checkpoint is not None:
        settings = {k: v for k, v in cfg.to_dict().items() if k != "epochs"}
        key = fingerprint(settings, data, gan)
        state = load_training_state(
            checkpoint, STATE_FORMAT, STATE_VERSION, key, cfg.epochs, history._log
        )
        if state is not None:
            gan.load_state_dict(state["gan"])
            if ema is not None:
                ema.load_state_dict(state["ema"])
            opt_g.load_state_dict(state["opt_g"])
            opt_d.load_state_dict(state["opt_d"])
            history.restore(state["history"])
            step = state["step"]
            restore_random_state(state["random"], gen, z_gen)
            start_epoch = state["epoch"] + 1
    for epoch in range(start_epoch, cfg.epochs):
        t0 = time.perf_counter()
        gan.train()
        sums = dict.fromkeys(("d_loss", "g_loss", "real_score", "fake_score"), 0.0)
        seen = 0
        for (real,) in batches(data, cfg.batch_size, gen, device):
            m = len(real)
            z = torch.randn(m, cfg.latent_dim, generator=z_gen).to(device)
            fake = torch.sigmoid(gan.generator(z))
            real_logits, fake_logits = gan.critic(real), gan.critic(fake.detach())
            d_loss = _gan_losses(real_logits, fake_logits, cfg.loss)
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            if cfg.r1_gamma > 0 and step % cfg.r1_every == 0:
                (cfg.r1_gamma * cfg.r1_every * _r1_penalty(gan, real)).backward()
            step += 1
            opt_d.step()
            gan.discriminator.requires_grad_(False)  # G step: no weight grads for D
            g_loss = _generator_loss(gan.critic(fake), cfg.loss)
            opt_g.zero_grad(set_to_none=True)
            g_loss.backward()
            opt_g.step()
            gan.discriminator.requires_grad_(True)
            if ema is not None:
                _ema_update(ema, gan.generator, cfg.ema_decay)
            if not (torch.isfinite(d_loss) and torch.isfinite(g_loss)):
                raise FloatingPointError(
                    f"fit_gan: loss became non-finite at epoch {epoch + 1}; lower GANConfig.lr"
                )
            for k, v in (
                ("d_loss", d_loss),
                ("g_loss", g_loss),
                ("real_score", torch.sigmoid(real_logits).mean()),
                ("fake_score", torch.sigmoid(fake_logits).mean()),
            ):
                sums[k] += float(v.detach()) * m
            seen += m
        history.append(
            epoch=epoch + 1,
            **{k: v / seen for k, v in sums.items()},
            seconds=time.perf_counter() - t0,
        )
        if checkpoint is not None:
            save_checkpoint(
                checkpoint,
                STATE_FORMAT,
                STATE_VERSION,
                fingerprint=key,
                gan=gan.state_dict(),
                ema=ema.state_dict() if ema is not None else None,
                opt_g=opt_g.state_dict(),
                opt_d=opt_d.state_dict(),
                history=history.rows,
                step=step,
                epoch=epoch,
                random=random_state(gen, z_gen),
            )
    if ema is not None:
        gan.generator.load_state_dict(ema.state_dict())
    _recalibrate_bn(gan, cfg.bn_samples, 256, torch.Generator().manual_seed(cfg.seed + 2), device)
    return gan, history


def sample_latents(n: int, latent_dim: int, seed: int) -> np.ndarray:
    """``n`` latents from the generator's prior ``N(0, I)``: float32 ``(n, latent_dim)``."""
    return torch.randn(n, latent_dim, generator=torch.Generator().manual_seed(seed)).numpy()


def backbone_latents(gan: DCGAN, n: int, seed: int, batch_size: int = 4096) -> np.ndarray:
    """``n`` prior samples in the backbone's latent space (w with a mapping network, else z)."""
    z = torch.as_tensor(sample_latents(n, gan.latent_dim, seed))
    device = module_device(gan)
    out = [
        gan.prior_latents(z[i : i + batch_size].to(device)).cpu() for i in range(0, n, batch_size)
    ]
    return torch.cat(out).numpy().astype(np.float32)


def decode_latents(gan: DCGAN, z: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Decode float latents ``(n, latent_dim)`` to uint8 images ``(n, S, S, 3)``."""
    device = module_device(gan)
    z = torch.as_tensor(np.asarray(z, dtype=np.float32))
    out = []
    with torch.no_grad():
        for lo in range(0, len(z), batch_size):
            out.append(tensor_to_images(gan.decode(z[lo : lo + batch_size].to(device))))
    size = gan.cfg.image_size
    return np.concatenate(out) if out else np.zeros((0, size, size, 3), np.uint8)


def invert_images(gan: DCGAN, images: np.ndarray, **kwargs) -> InversionResult:
    """Invert uint8 images ``(n, S, S, 3)``; ``kwargs`` go to :func:`invert` (steps, lr, ...)."""
    device = module_device(gan)
    x = images_to_tensor(check_images(images, "invert_images", gan.cfg.image_size))
    return gan.invert(x.to(device).float() / 255.0, **kwargs)
