"""GAN inversion on a tiny fixed decoder: converges, recovers known latents, stays frozen."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from plugen.backbones.inversion import invert

D = 4


def _decoder() -> nn.Module:
    """A random fixed conv decoder: z (n, 4) -> images (n, 3, 8, 8) in [0, 1]."""
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(D, 16 * 4 * 4),
        nn.Tanh(),
        nn.Unflatten(1, (16, 4, 4)),
        nn.ConvTranspose2d(16, 3, 4, 2, 1),
        nn.Sigmoid(),
    )


def _targets(dec: nn.Module, n: int = 6) -> tuple[torch.Tensor, torch.Tensor]:
    z = torch.randn(n, D, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        return z, dec(z)


def test_invert_recovers_known_latents_and_beats_random() -> None:
    dec = _decoder()
    z_true, x = _targets(dec)
    res = invert(dec, x, D, steps=200, lr=0.05, restarts=2, prior_weight=0.0)
    assert res.z.shape == (6, D) and res.loss.shape == (6,) and res.mse.shape == (6,)
    assert len(res.history) == 200
    assert res.history[-1] < 0.1 * res.history[0]
    with torch.no_grad():
        random_mse = (dec(torch.randn(6, D)) - x).pow(2).mean()
        final_mse = (dec(res.z) - x).pow(2).mean()
    assert final_mse < 0.02 * random_mse
    assert torch.allclose(res.mse.mean(), final_mse, rtol=1e-4)
    assert (res.z - z_true).norm(dim=1).median() < 0.3


def test_invert_leaves_decoder_untouched_and_is_deterministic() -> None:
    dec = _decoder()
    before = {k: v.clone() for k, v in dec.state_dict().items()}
    _, x = _targets(dec)
    a = invert(dec, x, D, steps=20, seed=3)
    b = invert(dec, x, D, steps=20, seed=3, batch_size=4)  # chunking does not change results
    assert all(torch.equal(before[k], v) for k, v in dec.state_dict().items())
    assert all(p.grad is None for p in dec.parameters())
    assert torch.allclose(a.z, b.z, atol=1e-6)


def test_invert_init_restarts_feature_loss_and_prior() -> None:
    dec = _decoder()
    z_true, x = _targets(dec)
    warm = invert(dec, x, D, steps=5, init=z_true, restarts=3, prior_weight=0.0)
    assert warm.mse.max() < 1e-6  # the exact start is kept as the best restart
    feats = invert(dec, x, D, steps=50, feature_fn=lambda im: im.mean((2, 3)), feature_weight=10.0)
    assert torch.all(feats.loss >= feats.mse)
    picked = invert(dec, x, D, steps=5, candidates=64, restarts=2)
    assert picked.history[0] < 0.5 * invert(dec, x, D, steps=5, restarts=2, candidates=0).history[0]
    shrunk = invert(dec, x, D, steps=100, prior_weight=10.0)
    free = invert(dec, x, D, steps=100, prior_weight=0.0)
    assert shrunk.z.norm(dim=1).mean() < free.z.norm(dim=1).mean()


def test_invert_rejects_bad_inputs() -> None:
    dec = _decoder()
    _, x = _targets(dec)
    with pytest.raises(ValueError, match="init has shape"):
        invert(dec, x, D, steps=2, init=torch.zeros(2, D))
    with pytest.raises(ValueError, match="decoder returned images of shape"):
        invert(dec, x[:, :, :4], D, steps=2)
