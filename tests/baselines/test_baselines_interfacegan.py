import numpy as np
import pytest

from plugen.baselines import BASELINES, load_baseline
from plugen.baselines.interfacegan import InterFaceGAN, _orthogonal_direction

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
    # the boundaries live in the latents' own units (the paper's space): no standardizing
    assert np.array_equal(m.z_std, np.ones(D))
    return float(m.normals[j] @ w / np.linalg.norm(w))


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


def test_projected_direction_is_orthogonal_to_the_conditions():
    rng = np.random.default_rng(3)
    n1, n2 = (v / np.linalg.norm(v) for v in rng.normal(size=(2, 8)))
    # one condition: the paper's n1 - (n1 . n2) n2
    np.testing.assert_allclose(_orthogonal_direction(n1, n2[None]), n1 - (n1 @ n2) * n2)
    conds = rng.normal(size=(3, 8))
    got = _orthogonal_direction(n1, conds)
    np.testing.assert_allclose(conds @ got, 0.0, atol=1e-12)
    # what is left of n1 is its component outside the conditions' span
    np.testing.assert_allclose(got @ n1, got @ got)
    np.testing.assert_array_equal(_orthogonal_direction(n1, np.zeros((0, 8))), n1)


@pytest.fixture(scope="module")
def separable():
    """Two attributes with known boundaries z0 > 0.5 and z0 + z1 > 0 (non-orthogonal normals)
    and a margin around each, on latents of unequal scales."""
    rng = np.random.default_rng(4)
    z = rng.normal(size=(4000, 4)) * np.array([1.0, 1.0, 0.1, 3.0])
    keep = (np.abs(z[:, 0] - 0.5) > 0.2) & (np.abs(z[:, 0] + z[:, 1]) > 0.2 * np.sqrt(2))
    z = z[keep].astype(np.float32)
    y = np.stack([z[:, 0] > 0.5, z[:, 0] + z[:, 1] > 0], 1).astype(np.float32)
    m = InterFaceGAN(4, ["a", "b"], C=100.0)
    m.fit(z, y, seed=0)
    return m, z, y


def test_edit_moves_along_the_normal_to_the_papers_distance_in_latent_units(separable):
    m, z, y = separable
    assert np.allclose(m.alpha, 3.0)  # the paper's end distance, by default
    n = np.array([1.0, 0.0, 0.0, 0.0])
    assert m.normals[0] @ n > 0.99  # the known boundary z0 = 0.5, in latent units
    plain = InterFaceGAN(4, ["a", "b"], C=100.0, conditional=False)
    plain.fit(z, y, seed=0)
    src = z[y[:, 0] == 0][:200]
    out = plain.manipulate(src, {"a": 1})
    step = out - src
    # a move along the boundary's unit normal in the latents' own units, to distance +3 ...
    np.testing.assert_allclose(
        step - np.outer(step @ plain.normals[0], plain.normals[0]), 0, atol=1e-4
    )
    np.testing.assert_allclose(plain.distances(out)[:, 0], 3.0, atol=1e-4)
    # ... which, with the known boundary, puts z0 near 0.5 + 3: across it, every time
    assert (out[:, 0] > 0.5).all() and np.abs(out[:, 0] - 3.5).max() < 0.2
    back = plain.manipulate(out, {"a": 0})
    np.testing.assert_allclose(plain.distances(back)[:, 0], -3.0, atol=1e-4)
    assert (back[:, 0] < 0.5).all()


def test_pair_edit_reaches_both_targets_and_keeps_the_rest(separable, fitted, data):
    m, z, y = separable
    src = z[(y[:, 0] == 0) & (y[:, 1] == 1)][:100]
    for values in ({"a": 1, "b": 0}, {"b": 0, "a": 1}):  # the order of the request is moot
        out = m.manipulate(src, values)
        np.testing.assert_allclose(m.distances(out), [[3.0, -3.0]] * len(src), atol=1e-4)
        assert (out[:, 0] > 0.5).all() and (out[:, 0] + out[:, 1] < 0).all()
    # with a third attribute not requested, the projection keeps its distance
    m3, _ = fitted
    z3, _ = data
    out = m3.manipulate(z3[:300], {"a": 1, "b": 0})
    before, after = m3.distances(z3[:300]), m3.distances(out)
    np.testing.assert_allclose(after[:, :2], [[3.0, -3.0]] * 300, atol=1e-4)
    np.testing.assert_allclose(after[:, 2], before[:, 2], atol=1e-4)


def test_generation_puts_every_request_at_its_distance(separable):
    m, _, _ = separable
    g = m.generate({"a": 1, "b": 0}, n=50, seed=0)
    np.testing.assert_allclose(m.distances(g), [[3.0, -3.0]] * 50, atol=1e-4)


def test_alpha_options(data):
    z, y = data
    quant = InterFaceGAN(D, ["a", "b", "h"], {"h": "continuous"}, alpha=None, alpha_quantile=0.5)
    quant.fit(z, y)
    d = quant.distances(z)
    assert quant.alpha[0] == pytest.approx(np.quantile(np.abs(d[:, 0]), 0.5), rel=0.05)
    mixed = InterFaceGAN(D, ["a", "b", "h"], {"h": "continuous"}, alpha={"a": 2.0})
    mixed.fit(z, y)
    assert mixed.alpha[0] == 2.0 and mixed.alpha[1] == pytest.approx(
        np.quantile(np.abs(mixed.distances(z)[:, 1]), 0.9), rel=0.05
    )
    for bad in (0.0, -1.0, {"a": 0.0}):
        with pytest.raises(ValueError, match="alpha must be > 0"):
            InterFaceGAN(D, ["a", "b"], alpha=bad)
