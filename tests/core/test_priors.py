import numpy as np
import pytest
import torch
from scipy import stats

from plugen.priors import PluGeNPrior, sigma_schedule


def _random_case(seed=0, n=200):
    rng = np.random.default_rng(seed)
    c = rng.normal(0, 1.5, size=(n, 3))
    y = np.stack([rng.integers(0, 2, n), rng.integers(0, 2, n), rng.normal(size=n)], 1)
    y[rng.random((n, 3)) < 0.3] = np.nan  # unknown labels
    s = rng.normal(size=(n, 4))
    return c, y, s


@pytest.mark.parametrize("sigma", [0.2, 0.4, 1.0])
def test_log_prob_matches_scipy(sigma):
    c, y, s = _random_case()
    prior = PluGeNPrior(["binary", "binary", "continuous"], style_dim=4, sigma=sigma)
    cs = torch.tensor(np.concatenate([c, s], 1), dtype=torch.float64)
    label, style = prior.log_prob(cs, torch.tensor(y, dtype=torch.float64))
    expected = np.zeros(len(c))
    for j in range(3):
        yj, cj = y[:, j], c[:, j]
        known = ~np.isnan(yj)
        if j < 2:
            mean = 2 * np.nan_to_num(yj) - 1
            lp_known = stats.norm.logpdf(cj, mean, sigma)
            lp_unknown = np.log(
                0.5 * stats.norm.pdf(cj, -1, sigma) + 0.5 * stats.norm.pdf(cj, 1, sigma)
            )
        else:
            lp_known = stats.norm.logpdf(cj, np.nan_to_num(yj), sigma)
            lp_unknown = stats.norm.logpdf(cj, 0, 1)
        expected += np.where(known, lp_known, lp_unknown)
    np.testing.assert_allclose(label.numpy(), expected, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(style.numpy(), stats.norm.logpdf(s).sum(1), rtol=1e-10)


def test_class_balanced_sigma_matches_scipy():
    c, y, s = _random_case(1)
    p = [0.2, 0.7, float("nan")]
    prior = PluGeNPrior(["binary", "binary", "continuous"], 4, 0.4, class_balanced=True, pos_rate=p)
    label, _ = prior.log_prob(torch.tensor(np.concatenate([c, s], 1)), torch.tensor(y))
    expected = np.zeros(len(c))
    for j in range(2):
        s1, s0 = 0.4 * np.sqrt(2 * p[j]), 0.4 * np.sqrt(2 * (1 - p[j]))
        yj, cj = y[:, j], c[:, j]
        known = ~np.isnan(yj)
        std = np.where(np.nan_to_num(yj) > 0.5, s1, s0)
        lp_k = stats.norm.logpdf(cj, 2 * np.nan_to_num(yj) - 1, std)
        lp_u = np.log(0.5 * stats.norm.pdf(cj, -1, s0) + 0.5 * stats.norm.pdf(cj, 1, s1))
        expected += np.where(known, lp_k, lp_u)
    yj, cj = y[:, 2], c[:, 2]
    expected += np.where(
        np.isnan(yj), stats.norm.logpdf(cj), stats.norm.logpdf(cj, np.nan_to_num(yj), 0.4)
    )
    np.testing.assert_allclose(label.numpy(), expected, rtol=1e-10)


def test_sample_respects_labels_and_temperature():
    prior = PluGeNPrior(["binary", "continuous"], style_dim=3, sigma=0.1, pos_rate=[0.9, 0.5])
    y = torch.tensor([[1.0, 2.0]] * 5000 + [[float("nan"), float("nan")]] * 5000)
    cs = prior.sample(y, temperature=0.5, generator=torch.Generator().manual_seed(0))
    known, unknown = cs[:5000], cs[5000:]
    assert abs(known[:, 0].mean() - 1) < 0.01 and abs(known[:, 1].mean() - 2) < 0.01
    assert abs((unknown[:, 0] > 0).float().mean() - 0.9) < 0.02  # binary from pos_rate
    assert abs(unknown[:, 1].std() - 1) < 0.05  # continuous unknown ~ N(0, 1)
    assert abs(cs[:, 2:].std() - 0.5) < 0.02  # style std = temperature
    # the label coordinates' spread is tempered too: temperature * sigma around the label
    assert abs(known[:, 0].std() - 0.05) < 0.003 and abs(known[:, 1].std() - 0.05) < 0.003
    mode = prior.sample(y[:10], temperature=0.0, generator=torch.Generator().manual_seed(0))
    assert torch.equal(mode[:5, :2], torch.tensor([[1.0, 2.0]] * 5)) and not mode[:5, 2:].any()


def test_sigma_schedule_decays_to_floor():
    assert sigma_schedule(0.4, 0.5, 0, 0.1) == 0.4
    assert sigma_schedule(0.4, 0.5, 1, 0.1) == 0.2
    assert sigma_schedule(0.4, 0.5, 5, 0.1) == 0.1


def test_bad_kind_is_rejected():
    with pytest.raises(ValueError, match="binary' or 'continuous"):
        PluGeNPrior(["binary", "ordinal"], 2)
