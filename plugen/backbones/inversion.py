"""GAN inversion: find latents whose decodes reconstruct given images.

Decoder-only backbones (the DCGAN, a StyleGAN's synthesis network) reach real data through
:func:`invert`: Adam on ``z`` minimizing pixel MSE, optionally plus a feature loss (e.g. a
classifier's penultimate layer) and an L2 prior penalty that keeps ``z`` where the generator
was trained. The decoder is frozen: gradients are taken with respect to ``z`` only.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

log = logging.getLogger(__name__)

Decoder = Callable[[Tensor], Tensor]


@dataclass
class InversionResult:
    """Outcome of :func:`invert` (tensors on CPU).

    z: ``(n, d)`` best latent per image; loss: ``(n,)`` its objective (pixel MSE + feature and
    prior terms); mse: ``(n,)`` its pixel MSE; history: mean objective over images per step.
    """

    z: Tensor
    loss: Tensor
    mse: Tensor
    history: list[float] = field(default_factory=list)


@contextmanager
def _eval_mode(fn: Decoder | None):
    """Put an ``nn.Module`` (decoder, feature net) in eval mode temporarily (frozen BN stats)."""
    was_training = isinstance(fn, nn.Module) and fn.training
    if was_training:
        fn.eval()
    try:
        yield
    finally:
        if was_training:
            fn.train()


def _decode(decoder: Decoder, z: Tensor, x: Tensor) -> Tensor:
    """``decoder(z)``, checked to have the per-image shape of the target images ``x``."""
    recon = decoder(z)
    if recon.shape[1:] != x.shape[1:]:
        raise ValueError(
            f"invert: decoder returned images of shape {tuple(recon.shape[1:])}, the targets "
            f"have shape {tuple(x.shape[1:])}"
        )
    return recon


def _objective(
    decoder: Decoder,
    z: Tensor,
    x: Tensor,
    feature_fn: Decoder | None,
    target_feats: Tensor | None,
    feature_weight: float,
    prior_weight: float,
) -> tuple[Tensor, Tensor]:
    """Per-image (objective, pixel MSE), both ``(n,)``."""
    recon = _decode(decoder, z, x)
    mse = (recon - x).pow(2).flatten(1).mean(1)
    loss = mse + prior_weight * z.pow(2).mean(1)
    if feature_fn is not None:
        loss = loss + feature_weight * (feature_fn(recon) - target_feats).pow(2).flatten(1).mean(1)
    return loss, mse


def _best_candidates(
    decoder: Decoder,
    x: Tensor,
    latent_dim: int,
    k: int,
    restarts: int,
    batch_size: int,
    gen: torch.Generator,
) -> Tensor:
    """Starts ``(restarts, n, d)``: per image, the prior samples whose decodes match it best."""
    pool = torch.randn(max(k, restarts), latent_dim, generator=gen)
    with torch.no_grad(), _eval_mode(decoder):
        decoded = torch.cat(
            [
                _decode(decoder, pool[i : i + batch_size].to(x.device), x).flatten(1)
                for i in range(0, len(pool), batch_size)
            ]
        )
        dist = torch.cat(
            [
                torch.cdist(x[i : i + batch_size].flatten(1), decoded)
                for i in range(0, len(x), batch_size)
            ]
        )
    best = dist.topk(restarts, dim=1, largest=False).indices.cpu()  # (n, restarts)
    return pool[best.T]


def invert(
    decoder: Decoder,
    x: Tensor,
    latent_dim: int,
    *,
    steps: int = 200,
    lr: float = 0.1,
    restarts: int = 1,
    candidates: int = 512,
    feature_fn: Decoder | None = None,
    feature_weight: float = 1.0,
    prior_weight: float = 1e-4,
    seed: int = 0,
    init: Tensor | None = None,
    batch_size: int = 512,
    log_every: int = 100,
    logger: logging.Logger | None = None,
) -> InversionResult:
    """Optimize latents ``z`` so that ``decoder(z)`` reconstructs ``x``.

    decoder: ``(m, latent_dim) -> (m, *x.shape[1:])``, differentiable, never modified.
    x: ``(n, C, H, W)`` images in the decoder's output range (``[0, 1]`` for our backbones).
    Adam with a cosine-decayed learning rate ``lr`` runs ``steps`` steps from ``restarts`` starts
    per image and keeps the one with the lowest final objective. Starts are ``N(0, I)`` draws
    (from ``seed``); with ``candidates`` > 0 they are instead the ``restarts`` best (pixel MSE)
    of that many shared prior samples, decoded once, which avoids bad basins (e.g. the wrong
    background); ``init`` ``(n, latent_dim)``, when given, replaces the first. Objective per image:
    ``mean((decoder(z) - x)^2) + feature_weight * mean((f(decoder(z)) - f(x))^2)
    + prior_weight * mean(z^2)``. Images are optimized independently (Adam is per-coordinate),
    ``batch_size`` of them (counting restarts) at a time, so the result does not depend on it.
    Returns an :class:`InversionResult`; progress is logged every ``log_every`` steps.
    """
    logger = logger or log
    if x.ndim < 2 or len(x) == 0:
        raise ValueError(
            f"invert: expected a non-empty batch of images, got shape {tuple(x.shape)}"
        )
    if steps < 1 or restarts < 1 or batch_size < 1:
        raise ValueError(
            f"invert: steps, restarts and batch_size must be >= 1, got {steps}, "
            f"{restarts}, {batch_size}"
        )
    n, device = len(x), x.device
    x = x.detach()
    gen = torch.Generator().manual_seed(seed)
    if candidates > 0:
        starts = _best_candidates(decoder, x, latent_dim, candidates, restarts, batch_size, gen)
    else:
        starts = torch.randn(restarts, n, latent_dim, generator=gen)
    if init is not None:
        if tuple(init.shape) != (n, latent_dim):
            raise ValueError(
                f"invert: init has shape {tuple(init.shape)}, expected {(n, latent_dim)}"
            )
        starts[0] = init.detach().to("cpu", torch.float32)
    starts = starts.reshape(restarts * n, latent_dim)
    image_of = torch.arange(n).repeat(restarts)  # start k belongs to image k % n
    z_all, loss_all, mse_all = (
        torch.empty_like(starts),
        torch.empty(len(starts)),
        torch.empty(len(starts)),
    )
    history = torch.zeros(steps)
    t0 = time.perf_counter()
    with _eval_mode(decoder), _eval_mode(feature_fn):
        feats = None
        if feature_fn is not None:
            with torch.no_grad():
                feats = torch.cat(
                    [feature_fn(x[i : i + batch_size]) for i in range(0, n, batch_size)]
                )
        for lo in range(0, len(starts), batch_size):
            idx = torch.arange(lo, min(lo + batch_size, len(starts)))
            target = x[image_of[idx].to(device)]
            tf = feats[image_of[idx].to(device)] if feats is not None else None
            z = starts[idx].to(device).requires_grad_(True)
            opt = torch.optim.Adam([z], lr=lr)
            for step in range(steps):
                for group in opt.param_groups:
                    group["lr"] = lr * 0.5 * (1.0 + math.cos(math.pi * step / steps))
                loss, _ = _objective(
                    decoder, z, target, feature_fn, tf, feature_weight, prior_weight
                )
                (z.grad,) = torch.autograd.grad(loss.sum(), [z])
                opt.step()
                history[step] += float(loss.detach().sum())
                done = step + 1
                if log_every and (done % log_every == 0 or done == steps):
                    logger.info(
                        "invert: images %d-%d of %d (with restarts), step %d/%d, "
                        "mean loss %.5g, %.1fs",
                        lo + 1,
                        lo + len(idx),
                        len(starts),
                        done,
                        steps,
                        float(loss.detach().mean()),
                        time.perf_counter() - t0,
                    )
            with torch.no_grad():
                loss, mse = _objective(
                    decoder, z, target, feature_fn, tf, feature_weight, prior_weight
                )
            z_all[idx], loss_all[idx], mse_all[idx] = z.detach().cpu(), loss.cpu(), mse.cpu()
    best = loss_all.reshape(restarts, n).argmin(0) * n + torch.arange(n)
    return InversionResult(
        z=z_all[best],
        loss=loss_all[best],
        mse=mse_all[best],
        history=(history / len(starts)).tolist(),
    )
