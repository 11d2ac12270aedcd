import numpy as np
import pytest
import torch

from plugen.baselines import CNF, CNICE, CFlow, load_baseline

D = 3


def _toy(n, seed=0):
    """z0 = +-3 by the binary label a; h = z1 + 0.1 (continuous); z2 is noise."""
    rng = np.random.default_rng(seed)
    a = (rng.random(n) < 0.5).astype(np.float32)
    z = (0.5 * rng.normal(size=(n, D))).astype(np.float32)
    z[:, 0] = 3 * (2 * a - 1) + 0.3 * rng.normal(size=n)
    return z, np.stack([a, z[:, 1] + 0.1], 1).astype(np.float32)


@pytest.fixture(scope="module")
def toy():
    return _toy(1200)


@pytest.fixture(scope="module")
def cflow(toy):
    z, y = toy
    y = y.copy()
    y[::10, 1] = np.nan  # unknown labels condition through the known mask
    m = CFlow(D, ["a", "h"], {"h": "continuous"}, transforms=3, hidden=(32, 32))
    hist = m.fit(z, y, epochs=6, batch_size=128, lr=3e-3, seed=0)
    return m, hist


@pytest.fixture(scope="module")
def cnice(toy):
    z, y = toy
    m = CNICE(D, ["a", "h"], {"h": "continuous"}, n_couplings=4, hidden=32, coupling="affine")
    hist = m.fit(z, y, epochs=8, batch_size=128, lr=3e-3, seed=0)
    return m, hist


@pytest.fixture(scope="module")
def cnf(toy):
    z, y = toy
    # the solver tolerances of an exact round trip (the schema's defaults trade precision for speed)
    m = CNF(D, ["a", "h"], {"h": "continuous"}, hidden=(32, 32), train_tol=1e-4, tol=1e-7)
    hist = m.fit(z[:600], y[:600], epochs=3, batch_size=200, lr=3e-3, seed=0)
    return m, hist


@pytest.mark.parametrize("name", ["cflow", "cnice", "cnf"])
def test_inverts_to_1e_4(name, request, toy):
    m, _ = request.getfixturevalue(name)
    z, y = toy
    back = m.from_base(m.to_base(z[:200], y[:200]), y[:200])
    assert float((back - torch.from_numpy(z[:200])).abs().max()) < 1e-4


def test_cflow_generates_the_condition(cflow):
    m, hist = cflow
    assert hist[-1]["val_nll"] < hist[0]["val_nll"]
    for v in (0, 1):
        g = m.generate({"a": v}, n=400, seed=1)
        assert g.shape == (400, D) and ((g[:, 0] > 0) == v).mean() >= 0.9
    np.testing.assert_array_equal(m.generate({"a": 1}, 5, seed=2), m.generate({"a": 1}, 5, seed=2))


def test_cflow_manipulation_needs_and_uses_source_labels(cflow, toy):
    m, _ = cflow
    z, y = toy
    with pytest.raises(ValueError, match="needs source_labels"):
        m.manipulate(z[:5], {"a": 1})
    src = z[y[:, 0] == 0][:200]
    out = m.manipulate(src, {"a": 1}, source_labels=y[y[:, 0] == 0][:200])
    assert (out[:, 0] > 0).mean() >= 0.9
    assert np.abs(out[:, 1] - src[:, 1]).mean() < 0.2  # h kept


def test_cnf_likelihood_decreases_and_round_trips(cnf, toy, tmp_path):
    m, hist = cnf
    z, y = toy
    assert hist[-1]["train_nll"] < hist[0]["train_nll"]
    assert hist[-1]["val_nll"] < hist[0]["val_nll"]
    m.save(tmp_path / "cnf.pt")
    back = load_baseline(tmp_path / "cnf.pt")
    assert isinstance(back, CNF) and back.config == m.config
    out = m.manipulate(z[:20], {"a": 1}, y[:20])
    np.testing.assert_allclose(back.manipulate(z[:20], {"a": 1}, y[:20]), out, atol=1e-5)


def test_load_baseline_rejects_foreign_files(tmp_path):
    torch.save({"format": "plugen-checkpoint"}, tmp_path / "x.pt")
    with pytest.raises(ValueError, match="not a baseline checkpoint"):
        load_baseline(tmp_path / "x.pt")
    with pytest.raises(FileNotFoundError):
        load_baseline(tmp_path / "missing.pt")


def test_cnice_is_pluginless_plugen_conditioned_on_labels(cnice, toy, tmp_path):
    """Same couplings as PluGeN's flow, the labels as context: it generates and edits a."""
    m, hist = cnice
    z, y = toy
    assert hist[-1]["val_nll"] < hist[0]["val_nll"]
    assert (m.generate({"a": 1}, n=300, seed=1)[:, 0] > 0).mean() >= 0.9
    src, labels = z[y[:, 0] == 0][:200], y[y[:, 0] == 0][:200]
    assert (m.manipulate(src, {"a": 1}, source_labels=labels)[:, 0] > 0).mean() >= 0.9
    m.save(tmp_path / "cnice.pt")
    back = load_baseline(tmp_path / "cnice.pt")
    assert isinstance(back, CNICE) and back.config == m.config
    np.testing.assert_allclose(back.log_prob(z[:10], y[:10]), m.log_prob(z[:10], y[:10]), atol=1e-5)
