"""Training on a backbone's posterior, as the PluGeN authors' VAE recipe does.

An encoder with a Gaussian posterior gives, per example, a mean ``z`` and a standard deviation
``z_std`` (both ``(n, d)``). A flow fitted to the means alone never sees the space between
encodings, where generated latents land; fitted to fresh samples ``z + z_std * eps`` every
epoch it models the aggregate posterior, the distribution the backbone's decoder was trained
on. Validation and the editing of real inputs use the means.

Every latent method uses the same pieces: :func:`check_spread` (validate), then
:func:`with_posterior` (a loss that samples while its module trains) for gradient fits, or
:func:`posterior_draws` (a fixed, seeded set of draws) for closed-form fits. PluGeN's own loss
calls :func:`sample` itself: wrapped, its scalar state (the decaying sigma) would be hidden from
the training loop's resumable checkpoint.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor, nn

LossFn = Callable[[nn.Module, tuple[Tensor, ...]], dict[str, Tensor]]


def check_spread(
    z_std: np.ndarray | Tensor | None, z: Tensor, what: str = "z_std"
) -> Tensor | None:
    """``z_std`` as a float32 tensor of ``z``'s shape ``(n, d)``, or None when not given.

    Raises ValueError naming ``what`` for another shape or a negative or non-finite value.
    """
    if z_std is None:
        return None
    s = torch.as_tensor(np.asarray(z_std) if not isinstance(z_std, Tensor) else z_std)
    s = s.detach().to(torch.float32).cpu()
    if s.ndim == 1:
        s = s[None]
    if s.shape != z.shape:
        raise ValueError(f"{what}: shape {tuple(s.shape)}, the latents have {tuple(z.shape)}")
    if not (torch.isfinite(s).all() and (s >= 0).all()):
        raise ValueError(f"{what}: posterior standard deviations must be finite and >= 0")
    return s


def training_spread(z_std: np.ndarray | None, mode: str) -> np.ndarray | None:
    """What a method trains with, by the config's ``flow.posterior`` ``mode``: the latents'
    spread ``z_std`` for ``"sample"`` (None when the latents carry none: GAN samples), None
    (the means) for ``"mean"``. Raises ValueError for another mode."""
    if mode not in ("sample", "mean"):
        raise ValueError(f"flow.posterior must be 'sample' or 'mean', got {mode!r}")
    return z_std if mode == "sample" else None


def aggregate_std(z: Tensor, z_std: Tensor | None) -> Tensor:
    """Per-dimension standard deviation ``(d,)`` of the aggregate posterior: the mixture of
    N(z_i, z_std_i^2) has variance var(z) + mean(z_std^2); ``z.std(0)`` without a spread."""
    var = z.var(0)
    if z_std is not None:
        var = var + z_std.pow(2).mean(0)
    return var.sqrt()


def sample(module: nn.Module, z: Tensor, z_std: Tensor) -> Tensor:
    """``z + z_std * eps`` (eps ~ N(0, I) from torch's seeded RNG) while ``module`` trains;
    the means ``z`` in eval mode (validation)."""
    if not module.training:
        return z
    return z + z_std * torch.randn_like(z)


def with_posterior(loss_fn: LossFn) -> LossFn:
    """``loss_fn`` on batches ``(z, z_std, *rest)``: a fresh posterior sample of ``z`` in every
    training step (:func:`sample`), the means in validation; ``loss_fn`` sees ``(z, *rest)``."""

    def sampled(module: nn.Module, batch: tuple[Tensor, ...]) -> dict[str, Tensor]:
        z, z_std, *rest = batch
        return loss_fn(module, (sample(module, z, z_std), *rest))

    return sampled


def posterior_draws(z: Tensor, z_std: Tensor, n_draws: int, seed: int) -> tuple[Tensor, Tensor]:
    """``n_draws`` seeded samples per row for a closed-form fit: (draws ``(n * n_draws, d)``,
    the row each came from ``(n * n_draws,)``), draw-major (all rows once, then again)."""
    if n_draws < 1:
        raise ValueError(f"n_draws must be >= 1, got {n_draws}")
    gen = torch.Generator().manual_seed(seed)
    eps = torch.randn((n_draws, *z.shape), generator=gen, dtype=z.dtype)
    draws = (z[None] + z_std[None] * eps).reshape(-1, z.shape[1])
    return draws, torch.arange(len(z)).repeat(n_draws)
