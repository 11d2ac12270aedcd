"""plugen.inverse.solve: known answers (closed-form Gaussian posteriors), requests, k, errors."""

import numpy as np
import pytest
import torch

from plugen.inverse import Downsample, Greyscale, Mask, Operator, SearchSettings, solve
from plugen.model import PluGeN

D, C, S = 6, 3, 4  # latent width, channels, image side


def linear_decoder(seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    a = torch.randn(C * S * S, D, generator=gen) * 0.3
    b = torch.rand(C * S * S, generator=gen)

    def decode(z: torch.Tensor) -> torch.Tensor:
        return (z @ a.T + b).view(-1, C, S, S)

    return decode, a, b


def half_mask(n: int) -> torch.Tensor:
    keep = torch.ones(n, 1, S, S)
    keep[:, :, S // 2 :] = 0
    return keep


def posterior_mean(a, b, keep, y, noise, mean, scale, fixed=None):
    """The Gaussian posterior mean of z = mean + scale * u, u ~ N(0, I), observed through
    y = keep * (a z + b) + N(0, noise^2); ``fixed``: {coordinate of u: value}."""
    m = keep.expand(-1, C, -1, -1).flatten(1)[0].bool()
    a_u = a * scale[None, :]
    rhs = (y.flatten(1)[0] - b - a @ mean)[m]
    free = [j for j in range(D) if j not in (fixed or {})]
    u = torch.zeros(D)
    for j, v in (fixed or {}).items():
        u[j] = v
    rhs = rhs - a_u[m] @ u
    af = a_u[m][:, free]
    prec = torch.eye(len(free)) + af.T @ af / noise**2
    u[free] = torch.linalg.solve(prec, af.T @ rhs / noise**2)
    return mean + scale * u


def identity_plugin(mean, scale) -> PluGeN:
    """A plugin whose flow is the identity on standardized latents, with continuous attributes
    (prior N(0, 1) on their coordinates when free): a Gaussian prior N(mean, scale^2) on z."""
    plugin = PluGeN(D, ["a", "b"], kinds={"a": "continuous", "b": "continuous"}, hidden=8)
    for coupling in plugin.flow.couplings:
        last = [m for m in coupling.modules() if isinstance(m, torch.nn.Linear)][-1]
        torch.nn.init.zeros_(last.weight)
        torch.nn.init.zeros_(last.bias)
    plugin.stats.z_mean, plugin.stats.z_std = mean.tolist(), scale.tolist()
    plugin.stats.y_mean, plugin.stats.y_std = [10.0, 0.0], [2.0, 1.0]
    plugin.sigma_now = 0.1
    return plugin


EXACT = SearchSettings(steps=1500, lr=0.05, candidates=0, noise=0.2)


def test_l2_search_matches_the_closed_form_posterior_mean_of_a_linear_decoder():
    decode, a, b = linear_decoder()
    x = decode(torch.randn(1, D, generator=torch.Generator().manual_seed(1)))
    keep = half_mask(1)
    y = Mask(keep)(x)
    res = solve(decode, y, Mask(keep), prior="l2", latent_dim=D, settings=EXACT)
    expected = posterior_mean(a, b, keep, y, 0.2, torch.zeros(D), torch.ones(D))
    torch.testing.assert_close(res.z[0, 0], expected, atol=2e-3, rtol=0)


def test_plugin_search_matches_the_gaussian_posterior_and_fixes_requested_coordinates():
    decode, a, b = linear_decoder()
    mean, scale = torch.linspace(-0.5, 0.5, D), torch.linspace(0.5, 1.5, D)
    plugin = identity_plugin(mean, scale)
    x = decode(torch.randn(1, D, generator=torch.Generator().manual_seed(2)))
    keep = half_mask(1)
    y = Mask(keep)(x)
    res = solve(decode, y, Mask(keep), plugin=plugin, settings=EXACT)
    free = posterior_mean(a, b, keep, y, 0.2, mean, scale)
    torch.testing.assert_close(res.z[0, 0], free, atol=2e-3, rtol=0)
    # a = 12 in user units is coordinate (12 - 10) / 2 = 1 of u, fixed; the rest conditioned
    labels = torch.tensor([[12.0, float("nan")]])
    res = solve(decode, y, Mask(keep), plugin=plugin, labels=labels, settings=EXACT)
    given = posterior_mean(a, b, keep, y, 0.2, mean, scale, fixed={0: 1.0})
    torch.testing.assert_close(res.z[0, 0], given, atol=2e-3, rtol=0)
    c, _ = plugin.encode(res.z[:, 0])
    assert float(c[0, 0]) == pytest.approx(1.0, abs=1e-5)


def test_an_identity_mask_returns_the_reconstruction():
    decode, _, _ = linear_decoder()
    x = decode(torch.randn(3, D, generator=torch.Generator().manual_seed(3)))
    keep = torch.ones(3, 1, S, S)
    settings = SearchSettings(steps=1500, lr=0.05, candidates=0, noise=0.001)
    res = solve(decode, x, Mask(keep), prior="l2", latent_dim=D, settings=settings)
    torch.testing.assert_close(res.images[:, 0], x, atol=1e-3, rtol=0)
    torch.testing.assert_close(res.filled[:, 0], x)  # every pixel observed: the observation


def test_composite_keeps_the_observation_and_k_solutions_differ():
    decode, _, _ = linear_decoder()
    x = decode(torch.randn(2, D, generator=torch.Generator().manual_seed(4)))
    keep = torch.zeros(2, 1, S, S)
    keep[:, :, 0, 0] = 1  # one observed pixel: the fillings are up to the prior
    y = Mask(keep)(x)
    settings = SearchSettings(steps=20, candidates=0, langevin=20)
    res = solve(decode, y, Mask(keep), k=3, prior="l2", latent_dim=D, settings=settings)
    assert res.z.shape == (2, 3, D) and res.filled.shape == (2, 3, C, S, S)
    torch.testing.assert_close(res.filled[:, :, :, 0, 0], x[:, None, :, 0, 0].expand(-1, 3, -1))
    assert (res.z[:, 0] - res.z[:, 1]).abs().max() > 0.05


def test_results_do_not_depend_on_the_batch_size():
    decode, _, _ = linear_decoder()
    x = decode(torch.randn(5, D, generator=torch.Generator().manual_seed(5)))
    keep = half_mask(5)
    runs = [
        solve(
            decode,
            Mask(keep)(x),
            Mask(keep),
            k=2,
            prior="l2",
            latent_dim=D,
            settings=SearchSettings(steps=10, candidates=8, batch_size=size, langevin=3),
        )
        for size in (2, 512)
    ]
    torch.testing.assert_close(runs[0].z, runs[1].z, atol=1e-5, rtol=0)


class WrongShape(Operator):
    def __call__(self, x):
        return x[:, :, :2]


def test_bad_inputs_are_one_line_errors():
    decode, _, _ = linear_decoder()
    x = decode(torch.zeros(2, D))
    with pytest.raises(ValueError, match="operator returned observations of shape"):
        solve(decode, x, WrongShape(), prior="none", latent_dim=D)
    with pytest.raises(ValueError, match="do not match the mask"):
        solve(decode, x, Mask(torch.ones(2, 1, 8, 8)), prior="none", latent_dim=D)
    with pytest.raises(ValueError, match="requested attributes need prior 'plugen'"):
        solve(decode, x, Mask(half_mask(2)), prior="l2", latent_dim=D, labels=torch.ones(2, 2))
    plugin = identity_plugin(torch.zeros(D), torch.ones(D))
    with pytest.raises(ValueError, match="labels have shape"):
        solve(decode, x, Mask(half_mask(2)), plugin=plugin, labels=torch.ones(2, 3))
    with pytest.raises(ValueError, match="search settings out of range"):
        SearchSettings(steps=0)
    with pytest.raises(ValueError, match="prior must be one of"):
        solve(decode, x, Mask(half_mask(2)), prior="flat", latent_dim=D)


def test_searches_are_seeded():
    decode, _, _ = linear_decoder()
    x = decode(torch.randn(2, D, generator=torch.Generator().manual_seed(6)))
    keep = half_mask(2)
    settings = SearchSettings(steps=5, candidates=16, langevin=2)
    a, b = (
        solve(decode, Mask(keep)(x), Mask(keep), k=2, prior="l2", latent_dim=D, settings=settings)
        for _ in range(2)
    )
    assert np.array_equal(a.z.numpy(), b.z.numpy())


@pytest.mark.parametrize("operator", [Downsample(2), Greyscale()])
def test_other_operators_match_the_closed_form_posterior_mean(operator):
    """Super-resolution and colourisation with a linear decoder: y = A(D z) is linear in z, so
    the L2 search's optimum is the Gaussian posterior mean with A's matrix."""
    decode, a, b = linear_decoder()
    basis = torch.eye(C * S * S).view(-1, C, S, S)
    a_op = operator(basis).flatten(1).T  # (observed, pixels): the operator's matrix
    x = decode(torch.randn(1, D, generator=torch.Generator().manual_seed(7)))
    y = operator(x)
    res = solve(decode, y, operator, prior="l2", latent_dim=D, settings=EXACT)
    m = a_op @ a
    prec = torch.eye(D) + m.T @ m / 0.2**2
    expected = torch.linalg.solve(prec, m.T @ (y.flatten() - a_op @ b) / 0.2**2)
    torch.testing.assert_close(res.z[0, 0], expected, atol=2e-3, rtol=0)
    torch.testing.assert_close(res.filled, res.images)  # no mask: nothing composited
