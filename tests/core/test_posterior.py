"""Training on the backbone's posterior: the sampling primitives, the latents contract's
``z_std`` column, and every latent method's ``fit(..., z_std=...)``."""

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from plugen import PluGeN, io, posterior
from plugen.baselines import CFlow, InterFaceGAN


def test_sample_draws_around_the_means_while_training_and_returns_the_means_in_eval():
    module = nn.Linear(1, 1)
    z = torch.tensor([[0.0, 10.0]]).repeat(200_000, 1)
    z_std = torch.tensor([[1.0, 0.5]]).repeat(200_000, 1)
    torch.manual_seed(0)
    drawn = posterior.sample(module.train(), z, z_std)
    np.testing.assert_allclose(drawn.mean(0), [0.0, 10.0], atol=0.01)
    np.testing.assert_allclose(drawn.std(0), [1.0, 0.5], atol=0.01)
    assert torch.equal(posterior.sample(module.eval(), z, z_std), z)


def test_aggregate_std_is_that_of_the_gaussian_mixture():
    z = torch.tensor([[-1.0, 0.0], [1.0, 0.0]])
    z_std = torch.tensor([[0.0, 2.0], [0.0, 2.0]])
    # var of the means (unbiased, 2 rows) + mean posterior variance
    np.testing.assert_allclose(posterior.aggregate_std(z, z_std), [np.sqrt(2.0), 2.0])
    assert torch.equal(posterior.aggregate_std(z, None), z.std(0))


def test_with_posterior_hands_the_loss_a_sample_and_drops_the_spread():
    seen = []

    def loss(module, batch):
        seen.append(batch)
        return {"loss": batch[0].sum()}

    module = nn.Linear(1, 1).eval()
    z, z_std, y = torch.ones(3, 2), torch.ones(3, 2), torch.zeros(3, 1)
    posterior.with_posterior(loss)(module, (z, z_std, y))
    assert len(seen[0]) == 2 and torch.equal(seen[0][0], z) and seen[0][1] is y


def test_posterior_draws_are_seeded_draw_major_and_keep_their_rows():
    z = torch.arange(6.0).reshape(3, 2)
    z_std = torch.full((3, 2), 0.1)
    draws, rows = posterior.posterior_draws(z, z_std, 4, seed=3)
    assert draws.shape == (12, 2) and rows.tolist() == [0, 1, 2] * 4
    assert (draws - z[rows]).abs().max() < 1.0
    again, _ = posterior.posterior_draws(z, z_std, 4, seed=3)
    assert torch.equal(draws, again)
    with pytest.raises(ValueError, match="n_draws"):
        posterior.posterior_draws(z, z_std, 0, seed=0)


@pytest.mark.parametrize(
    "z_std, message",
    [(np.ones((4, 3)), "shape"), (-np.ones((5, 3)), ">= 0"), (np.full((5, 3), np.nan), "finite")],
)
def test_check_spread_refuses_a_wrong_shape_or_value(z_std, message):
    with pytest.raises(ValueError, match=message):
        posterior.check_spread(z_std, torch.zeros(5, 3), "latents.parquet: z_std")


def test_latents_tables_carry_the_spread_and_refuse_a_bad_one(tmp_path):
    df = pd.DataFrame({"id": ["a", "b"], "split": ["train", "test"], "round": [0.0, 1.0]})
    z = np.arange(6, dtype=np.float32).reshape(2, 3)
    z_std = np.full((2, 3), 0.5, np.float32)
    path = io.write_table(tmp_path / "latents.parquet", df, io.LATENTS, z, z_std)
    frame, z_back, std_back = io.read_latents(path)
    np.testing.assert_array_equal(z_back, z)
    np.testing.assert_array_equal(std_back, z_std)
    assert list(frame.columns) == ["id", "split", "round"]
    assert io.read_table(path, io.LATENTS)[0].equals(frame)  # readers of z alone are unaffected
    plain = io.write_table(tmp_path / "plain.parquet", df, io.LATENTS, z)
    assert io.read_latents(plain)[2] is None
    with pytest.raises(ValueError, match="finite and >= 0"):
        io.write_table(tmp_path / "bad.parquet", df, io.LATENTS, z, -z_std)
    with pytest.raises(ValueError, match=r"z_std: shape \(1, 3\), the latents have \(2, 3\)"):
        io.write_table(tmp_path / "bad.parquet", df, io.LATENTS, z, z_std[:1])


def _data(n=600, d=6, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, d)).astype(np.float32)
    y = np.stack([z[:, 0] > 0, z[:, 1] > 0], 1).astype(np.float32)
    return z, y


def test_plugen_with_a_zero_spread_trains_exactly_as_on_the_means():
    """The spread enters only through z + z_std * eps: zero spread, identical weights."""
    z, y = _data()
    kw = dict(epochs=3, batch_size=128, lr=1e-3, seed=0, hidden=32)
    fit_kw = {k: kw[k] for k in ("epochs", "batch_size", "lr", "seed")}
    plain = PluGeN(6, ["a", "b"], hidden=kw["hidden"], n_couplings=2)
    plain.fit(z, y, **fit_kw)
    zero = PluGeN(6, ["a", "b"], hidden=kw["hidden"], n_couplings=2)
    zero.fit(z, y, z_std=np.zeros_like(z), **fit_kw)
    for p, q in zip(plain.flow.parameters(), zero.flow.parameters()):
        assert torch.equal(p, q)
    assert plain.history == zero.history


def test_plugen_on_posterior_samples_is_seeded_validates_on_the_means_and_models_the_spread():
    z, y = _data()
    z_std = np.full_like(z, 0.5)
    fits = []
    for _ in range(2):
        m = PluGeN(6, ["a", "b"], hidden=32, n_couplings=2)
        fits.append((m, m.fit(z, y, z_std=z_std, epochs=3, batch_size=128, lr=1e-3, seed=1)))
    (m, hist), (m2, hist2) = fits
    assert hist == hist2  # same seed, same draws, same bytes
    for p, q in zip(m.flow.parameters(), m2.flow.parameters()):
        assert torch.equal(p, q)
    # standardization covers the aggregate posterior: var(z) + 0.25 per dimension
    np.testing.assert_allclose(m.stats.z_std, np.sqrt(z.var(0, ddof=1) + 0.25), rtol=1e-4)
    # validation rows are the means: the best epoch's loss is the NLL of their means (nll()
    # adds the standardization's log-Jacobian, which the training loss leaves out)
    from plugen.train import split_indices

    _, val = split_indices(len(z), 0.1, 1)
    const = np.log(np.asarray(m.stats.z_std)).sum()
    best = min(r["val_loss"] for r in hist)
    np.testing.assert_allclose(m.nll(z[val], y[val]).mean() - const, best, rtol=1e-4)
    with pytest.raises(ValueError, match="z_std"):
        m.fit(z, y, z_std=z_std[:10], epochs=1)


def test_cflow_with_a_zero_spread_trains_exactly_as_on_the_means():
    z, y = _data(n=300)
    kw = dict(epochs=2, batch_size=100, seed=0)
    plain = CFlow(6, ["a", "b"], hidden=(16,), transforms=1)
    plain.fit(z, y, **kw)
    zero = CFlow(6, ["a", "b"], hidden=(16,), transforms=1)
    zero.fit(z, y, z_std=np.zeros_like(z), **kw)
    for p, q in zip(plain.flow.parameters(), zero.flow.parameters()):
        assert torch.equal(p, q)
    noisy = CFlow(6, ["a", "b"], hidden=(16,), transforms=1)
    noisy.fit(z, y, z_std=np.full_like(z, 0.5), **kw)
    np.testing.assert_allclose(noisy.z_std, np.sqrt(z.var(0, ddof=1) + 0.25), rtol=1e-4)


def test_interfacegan_fits_its_boundaries_to_posterior_draws():
    z, y = _data(n=400)
    m = InterFaceGAN(6, ["a", "b"], posterior_draws=3)
    hist = m.fit(z, y, z_std=np.full_like(z, 0.1), seed=0)
    assert [r["n_train"] for r in hist] == [3 * 360.0] * 2  # 90% of the rows, 3 draws each
    assert abs(m.normals[0, 0]) > 0.9  # attribute a is the sign of z_0
