"""Baseline: counterfactuals searched directly in the backbone latent, without attributes.

z' = z + delta minimises ``relu(margin + sign * f(z')) + distance_weight * |delta|^2`` by Adam
steps from delta = 0 (sign = +1 for an accepted input, -1 for a rejected one), for every input
at once, deterministically; the counterfactual is the closest flipped iterate. Which attributes
it changed is read afterwards by an external judge (:func:`plugen.explain.measures.judged_changes`).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from plugen.explain.decision import Decision
from plugen.explain.search import Counterfactuals

_BETAS = (0.9, 0.999)


def latent_counterfactuals(
    decision: Decision,
    z: np.ndarray | Tensor,
    steps: int = 100,
    lr: float = 0.05,
    distance_weight: float = 0.05,
    margin: float = 0.5,
    batch_size: int = 256,
) -> Counterfactuals:
    """Gradient counterfactuals of latents ``z: (n, d)`` for ``decision`` (needs gradients).

    Returns :class:`Counterfactuals` with no attributes (``changed`` empty lists, ``delta``
    ``(n, 0)``): fill ``changed`` from a judge. An input not flipped within ``steps`` keeps
    its latent (``flipped`` False). Raises ValueError when the decision has no gradient with
    respect to the latents, or for a bad output shape or latents that are not ``(n, d)``.
    """
    zt = torch.as_tensor(np.asarray(z, dtype=np.float32) if not isinstance(z, Tensor) else z)
    zt = zt.detach().float().cpu()
    if zt.ndim != 2 or not torch.isfinite(zt).all():
        raise ValueError(f"latents: shape {tuple(zt.shape)} with finite values expected (n, d)")
    if len(zt) and not decision.differentiable(zt):
        raise ValueError(
            f"{decision.name}: has no gradient with respect to the latents, which the latent "
            "baseline needs"
        )
    f0 = decision(zt)
    best = zt.clone()
    best_f = f0.clone()
    best_d = torch.full((len(zt),), float("inf"))
    dev = decision.device
    for lo in range(0, len(zt), batch_size):
        z0 = zt[lo : lo + batch_size].to(dev)
        sign = torch.where(f0[lo : lo + batch_size] > 0, 1.0, -1.0).to(dev)
        delta = torch.zeros_like(z0, requires_grad=True)
        m, v = torch.zeros_like(z0), torch.zeros_like(z0)
        for step in range(1, steps + 1):
            with torch.enable_grad():
                logits = decision.logits(z0 + delta)
                dist = (delta**2).sum(1)
                loss = (torch.relu(margin + sign * logits) + distance_weight * dist).sum()
                (grad,) = torch.autograd.grad(loss, delta)
            with torch.no_grad():
                d = dist.sqrt().cpu()
                better = ((sign * logits).cpu() < 0) & (d < best_d[lo : lo + len(z0)])
                idx = torch.nonzero(better)[:, 0]
                best[lo + idx] = (z0 + delta).detach().cpu()[idx]
                best_f[lo + idx] = logits.detach().cpu()[idx]
                best_d[lo + idx] = d[idx]
                m.mul_(_BETAS[0]).add_(grad, alpha=1 - _BETAS[0])  # Adam, per coordinate
                v.mul_(_BETAS[1]).addcmul_(grad, grad, value=1 - _BETAS[1])
                m_hat, v_hat = m / (1 - _BETAS[0] ** step), v / (1 - _BETAS[1] ** step)
                delta -= lr * m_hat / (v_hat.sqrt() + 1e-8)
    flipped = torch.isfinite(best_d)
    return Counterfactuals(
        attributes=[],
        z=best.numpy(),
        f_before=f0.numpy(),
        f_after=best_f.numpy(),
        flipped=flipped.numpy(),
        changed=[[] for _ in range(len(zt))],
        delta=np.zeros((len(zt), 0), dtype=np.float32),
    )
