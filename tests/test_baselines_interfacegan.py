import numpy as np
import pytest

from plugen.baselines import BASELINES, load_baseline
from plugen.baselines.interfacegan import InterFaceGAN

D = 10
W_A = np.array([1.0, -1.0, 0.5, 0, 0, 0, 0, 0, 0, 0])
W_B = np.array([0.6, 0, 0, 1.0, 0, 0, 0, 0, 0, 0])  # not orthogonal to W_A


def _labels(z):
    return np.stack([z @ W_A > 0, z @ W_B > 0, z[:, 5] * 2.0 + 3.0], 1).astype(np.float32)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    z = (rng.normal(size=(3000, D)) * np.linspace(0.5, 2.0, D)).astype(np.float32)
    return z, _labels(z)


@pytest.fixture(scope="module")
def fitted(data):
    z, y = data
    y = y.copy()
    y[::7, 0] = np.nan  # unknown labels are skipped
    m = InterFaceGAN(D, ["a", "b", "h"], {"h": "continuous"})
    hist = m.fit(z, y, seed=0)
    return m, hist


def _cos_in_latent_units(m, j, w):
    # a boundary w . z = 0 in latent units has normal w * std in standardized units
    v = w * m.z_std
    return float(m.normals[j] @ v / np.linalg.norm(v))


def test_recovers_the_known_normals(fitted):
    m, hist = fitted
    assert _cos_in_latent_units(m, 0, W_A) > 0.9
    assert _cos_in_latent_units(m, 1, W_B) > 0.9
    assert [r["attribute"] for r in hist] == ["a", "b", "h"]
    assert all(r["val_score"] > 0.9 for r in hist)


def test_edit_sets_the_label(fitted, data):
    m, _ = fitted
    z, y = data
    for v in (0, 1):
        out = m.manipulate(z[:500], {"a": v})
        assert out.shape == (500, D) and out.dtype == np.float32
        assert (_labels(out)[:, 0] == v).mean() >= 0.95
    out = m.manipulate(z[:500], {"h": 7.0})
    assert np.abs(_labels(out)[:, 2] - 7.0).mean() < 0.1


def test_conditional_edit_keeps_the_other_attribute(fitted, data):
    m, _ = fitted
    z, y = data
    out = m.manipulate(z[:500], {"a": 1})
    assert (_labels(out)[:, 0] == 1).mean() >= 0.95
    assert (_labels(out)[:, 1] == y[:500, 1]).mean() >= 0.95
    plain = InterFaceGAN(D, ["a", "b", "h"], {"h": "continuous"}, conditional=False)
    plain.fit(z, y)
    moved = plain.manipulate(z[:500], {"a": 1})
    # without the projection the correlated attribute b changes more often
    assert (_labels(moved)[:, 1] != y[:500, 1]).mean() > (_labels(out)[:, 1] != y[:500, 1]).mean()


def test_generation_and_round_trip(fitted, tmp_path):
    m, _ = fitted
    g = m.generate({"a": 1, "b": 0}, n=400, seed=1)
    lab = _labels(g)
    assert (lab[:, 0] == 1).mean() >= 0.95 and (lab[:, 1] == 0).mean() >= 0.95
    np.testing.assert_array_equal(g, m.generate({"a": 1, "b": 0}, n=400, seed=1))
    m.save(tmp_path / "ifg.pt")
    back = load_baseline(tmp_path / "ifg.pt")
    assert isinstance(back, InterFaceGAN) and BASELINES["interfacegan"] is InterFaceGAN
    np.testing.assert_allclose(back.manipulate(g, {"a": 0}), m.manipulate(g, {"a": 0}))


def test_clear_errors(fitted):
    m, _ = fitted
    with pytest.raises(ValueError, match="unknown attribute"):
        m.manipulate(np.zeros((2, D)), {"x": 1})
    with pytest.raises(ValueError, match="must be set to 0 or 1"):
        m.manipulate(np.zeros((2, D)), {"a": 0.5})
    with pytest.raises(ValueError, match=r"expected \(n, 10\)"):
        m.manipulate(np.zeros((2, 3)), {"a": 1})
