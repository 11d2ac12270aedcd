import pytest
import torch

from plugen.flows import NICE


def _perturbed(flow, std):
    """Random weights everywhere (an affine coupling starts as the identity)."""
    with torch.no_grad():
        for p in flow.parameters():
            p.normal_(0, std)
    return flow


@pytest.mark.parametrize("dim", [2, 3, 7, 16, 65])
@pytest.mark.parametrize("scaling", [False, True])
@pytest.mark.parametrize("coupling", ["nice", "affine"])
def test_inverse_round_trip(dim, scaling, coupling):
    torch.manual_seed(dim)
    flow = NICE(dim, n_couplings=4, n_layers=3, hidden=32, scaling=scaling, coupling=coupling)
    # random affine scales compound to e^(2 * 4) either way: float64 keeps round-off out
    dtype = torch.float64 if coupling == "affine" else torch.float32
    flow = flow.to(dtype)
    if coupling == "affine":
        _perturbed(flow, 0.3)
    elif scaling:
        with torch.no_grad():
            flow.log_scale.normal_(0, 0.3)
    x = torch.randn(128, dim, dtype=dtype) * 3
    y, _ = flow(x)
    assert not torch.allclose(y, x)
    assert (flow.inverse(y) - x).abs().max() < 1e-5
    assert (flow(flow.inverse(x))[0] - x).abs().max() < 1e-5


@pytest.mark.parametrize("dim", [2, 3, 5])
@pytest.mark.parametrize("scaling", [False, True])
@pytest.mark.parametrize("coupling", ["nice", "affine"])
def test_log_abs_det_matches_autograd_jacobian(dim, scaling, coupling):
    torch.manual_seed(0)
    flow = NICE(dim, n_couplings=3, n_layers=2, hidden=16, scaling=scaling, coupling=coupling)
    flow = flow.double()
    if coupling == "affine":
        _perturbed(flow, 0.5)
    elif scaling:
        with torch.no_grad():
            flow.log_scale.normal_(0, 0.5)
    for _ in range(3):
        x = torch.randn(1, dim, dtype=torch.float64)
        jac = torch.autograd.functional.jacobian(lambda v: flow(v[None])[0][0], x[0])
        expected = torch.linalg.slogdet(jac).logabsdet
        assert torch.allclose(flow.log_abs_det(x)[0], expected, atol=1e-8)


@pytest.mark.parametrize("dim", [6, 7])
def test_couplings_alternate_masks(dim):
    flow = NICE(dim, n_couplings=2, n_layers=2, hidden=8)
    first, second = flow.couplings
    x = torch.randn(4, dim)
    even, odd = torch.arange(0, dim, 2), torch.arange(1, dim, 2)
    y1, y2 = first(x), second(x)
    assert torch.equal(y1[:, even], x[:, even]) and not torch.equal(y1[:, odd], x[:, odd])
    assert torch.equal(y2[:, odd], x[:, odd]) and not torch.equal(y2[:, even], x[:, even])
    assert torch.allclose(first.inverse(y1), x, atol=1e-6)
    assert torch.allclose(second.inverse(y2), x, atol=1e-6)


def test_wrong_width_is_a_clear_error():
    flow = NICE(4)
    with pytest.raises(ValueError, match=r"\(n, 4\)"):
        flow(torch.zeros(2, 5))


def test_affine_couplings_start_as_the_identity_and_unknown_couplings_are_refused():
    flow = NICE(5, n_couplings=2, coupling="affine")
    x = torch.randn(3, 5)
    y, logdet = flow(x)
    assert torch.equal(y, x) and torch.equal(logdet, torch.zeros(3))
    with pytest.raises(ValueError, match="coupling must be one of"):
        NICE(5, coupling="spline")


def test_whitening_gives_unit_covariance_its_log_det_and_an_exact_inverse():
    torch.manual_seed(0)
    a = torch.randn(4, 4, dtype=torch.float64)
    cov = a @ a.T + 0.01 * torch.eye(4, dtype=torch.float64)  # one thin direction at most
    x = torch.randn(20000, 4, dtype=torch.float64) @ torch.linalg.cholesky(cov).T
    flow = NICE(4, n_couplings=2, n_layers=2, hidden=8, whiten=True).double()
    with torch.no_grad():
        for p in flow.parameters():
            p.zero_()  # couplings = identity: the flow is the whitening alone
    flow.set_whitening(cov)
    y, logdet = flow(x)
    torch.testing.assert_close(torch.cov(y.T), torch.eye(4, dtype=torch.float64), atol=0.05, rtol=0)
    torch.testing.assert_close(logdet[0], -0.5 * torch.logdet(cov))
    torch.testing.assert_close(flow.inverse(y), x)
    jac = torch.autograd.functional.jacobian(lambda v: flow(v[None])[0][0], x[0])
    torch.testing.assert_close(torch.linalg.slogdet(jac).logabsdet, logdet[0])
    big = float(torch.linalg.eigvalsh(cov).max()) * 2  # a floor above every eigenvalue
    flow.set_whitening(cov, floor=big)
    torch.testing.assert_close(flow(x)[0], x / big**0.5)
    with pytest.raises(ValueError, match="built without whiten=True"):
        NICE(4).set_whitening(cov)
    with pytest.raises(ValueError, match=r"cov has shape \(3, 3\), expected \(4, 4\)"):
        flow.set_whitening(cov[:3, :3])
