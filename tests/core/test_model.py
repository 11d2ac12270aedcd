import numpy as np
import pytest
import torch

from plugen import PluGeN
from plugen.cli import synthetic_labels as label_fn

ATTRS = ["a", "b", "h"]
KINDS = {"a": "binary", "b": "binary", "h": "continuous"}


def _model(**kw):
    return PluGeN(12, ATTRS, KINDS, n_couplings=4, n_layers=3, hidden=128, sigma=0.4, **kw)


@pytest.fixture(scope="module")
def fitted(synthetic_latents):
    z, y = synthetic_latents
    m = _model()
    hist = m.fit(z, y, epochs=50, batch_size=256, lr=1e-3, seed=0)
    return m, hist


def _generation_accuracy(m, seed=1):
    accs = []
    for a in (0, 1):
        for b in (0, 1):
            g = m.generate({"a": a, "b": b}, n=400, seed=seed)
            lab = label_fn(g)
            accs += [(lab[:, 0] == a).mean(), (lab[:, 1] == b).mean()]
    return min(accs)


def _manipulation_accuracy(m, z):
    lab0 = label_fn(z)
    flip = 1 - lab0[:, 0]
    z2 = np.concatenate([m.manipulate(z[flip == v], {"a": v}) for v in (0, 1)])
    lab0 = np.concatenate([lab0[flip == v] for v in (0, 1)])
    lab2 = label_fn(z2)
    flipped = (lab2[:, 0] == 1 - lab0[:, 0]).mean()
    kept = (lab2[:, 1] == lab0[:, 1]).mean()
    return flipped, kept


def test_generation_carries_requested_labels(fitted):
    m, hist = fitted
    assert _generation_accuracy(m) >= 0.9
    g = m.generate({"h": 1.0}, n=500, seed=3)
    assert abs(label_fn(g)[:, 2].mean() - 1.0) < 0.3
    assert hist[-1]["val_loss"] < hist[0]["val_loss"]


def test_manipulation_flips_only_the_requested_label(fitted, synthetic_latents):
    m, _ = fitted
    z, _ = synthetic_latents
    flipped, kept = _manipulation_accuracy(m, z[:1000])
    assert flipped >= 0.9 and kept >= 0.9


def test_interpolation_is_monotone_in_the_attribute(fitted, synthetic_latents):
    m, _ = fitted
    z, _ = synthetic_latents
    zs = m.interpolate(z[:300], "h", values=[-1.0, 0.0, 1.0])
    assert zs.shape == (3, 300, 12)
    means = [label_fn(zi)[:, 2].mean() for zi in zs]
    assert means[0] < means[1] < means[2]


def test_semi_supervised_with_half_the_labels_missing(synthetic_latents):
    z, y = synthetic_latents
    y = y.copy()
    y[np.random.default_rng(1).random(y.shape) < 0.5] = np.nan
    m = _model()
    m.fit(z, y, epochs=50, batch_size=256, lr=1e-3, seed=0)
    assert _generation_accuracy(m) >= 0.85
    flipped, kept = _manipulation_accuracy(m, z[:1000])
    assert flipped >= 0.85 and kept >= 0.85


def test_paper_defaults_train(synthetic_latents):
    """The API's documented call (Adam 1e-4, batch 256) learns the labels too."""
    z, y = synthetic_latents
    m = _model()
    m.fit(z, y, epochs=50, batch_size=256, lr=1e-4, seed=0)
    assert _generation_accuracy(m) >= 0.9


def test_save_load_round_trip(fitted, tmp_path, synthetic_latents):
    m, _ = fitted
    z, _ = synthetic_latents
    m.save(tmp_path / "plugin.pt")
    m2 = PluGeN.load(tmp_path / "plugin.pt")
    c1, s1 = m.encode(z[:50])
    c2, s2 = m2.encode(z[:50])
    np.testing.assert_array_equal(c1, c2)
    np.testing.assert_array_equal(s1, s2)
    np.testing.assert_array_equal(
        m.generate({"a": 1}, 20, seed=5), m2.generate({"a": 1}, 20, seed=5)
    )
    assert m2.attributes == ATTRS and m2.kinds == KINDS and m2.history == m.history


def test_torch_and_numpy_inputs_agree(fitted, synthetic_latents):
    m, _ = fitted
    z, _ = synthetic_latents
    out_np = m.manipulate(z[:10], {"b": 1})
    out_t = m.manipulate(torch.from_numpy(z[:10]), {"b": 1})
    assert isinstance(out_t, torch.Tensor) and isinstance(out_np, np.ndarray)
    np.testing.assert_allclose(out_t.numpy(), out_np)
    c, s = m.encode(z[:10])
    np.testing.assert_allclose(m.decode(c, s), z[:10], atol=1e-4)


def test_same_seed_same_history(synthetic_latents):
    z, y = synthetic_latents
    runs = []
    for _ in range(2):
        m = PluGeN(12, ATTRS, KINDS, n_couplings=2, n_layers=2, hidden=32)
        runs.append(m.fit(z[:1000], y[:1000], epochs=3, seed=7))
    assert runs[0] == runs[1] and len(runs[0]) == 3


def test_load_rejects_other_latent_size_and_foreign_files(fitted, tmp_path):
    m, _ = fitted
    m.save(tmp_path / "p.pt")
    with pytest.raises(ValueError, match="latent_dim 12, expected 64"):
        PluGeN.load(tmp_path / "p.pt", expected_latent_dim=64)
    torch.save({"weights": 1}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a PluGeN checkpoint"):
        PluGeN.load(tmp_path / "other.pt")
    (tmp_path / "junk.pt").write_text("hello")
    with pytest.raises(ValueError, match="not a PluGeN checkpoint"):
        PluGeN.load(tmp_path / "junk.pt")


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda m, z, y: m.fit(z[:, :10], y, epochs=1), r"^z: latents .* expects \(n, 12\)"),
        (
            lambda m, z, y: m.check_latents(z[:, :10], "latents.parquet"),
            r"^latents\.parquet: latents have shape \(200, 10\); the plugin expects \(n, 12\)$",
        ),
        (lambda m, z, y: m.generate({"colour": 1}, 5), r"unknown attribute\(s\) \['colour'\]"),
        (lambda m, z, y: m.manipulate(z, {"size": 0}), "unknown attribute"),
        (lambda m, z, y: m.fit(z, np.where(y == 1, 2, y), epochs=1), "'a' must be 0 or 1"),
        (lambda m, z, y: m.generate({"a": 0.5}, 5), "'a' must be set to 0 or 1"),
        (
            lambda m, z, y: m.fit(np.where(np.arange(12) == 3, np.nan, z), y, epochs=1),
            "NaN or infinite",
        ),
        (lambda m, z, y: m.fit(z, y[:, :2], epochs=1), r"labels have shape \(200, 2\)"),
    ],
)
def test_bad_input_is_a_clear_value_error(call, message, synthetic_latents):
    z, y = synthetic_latents
    m = PluGeN(12, ATTRS, KINDS, n_couplings=2, n_layers=2, hidden=16)
    with pytest.raises(ValueError, match=message):
        call(m, z[:200].copy(), y[:200].copy())


def test_all_labels_missing_for_an_attribute_is_rejected(synthetic_latents):
    z, y = synthetic_latents
    y = y[:100].copy()
    y[:, 1] = np.nan
    with pytest.raises(ValueError, match=r"\['b'\] have no known value"):
        _model().fit(z[:100], y, epochs=1)


def test_sigma_schedule_is_recorded_and_used_for_sampling(synthetic_latents):
    z, y = synthetic_latents
    m = PluGeN(
        12,
        ATTRS,
        KINDS,
        n_couplings=2,
        n_layers=2,
        hidden=16,
        sigma=0.4,
        sigma_decay=0.5,
        sigma_floor=0.1,
    )
    hist = m.fit(z[:500], y[:500], epochs=4, patience=None)
    assert [r["sigma"] for r in hist] == [0.4, 0.2, 0.1, 0.1]
    assert m.sigma_now == 0.1


def test_whitening_keeps_samples_on_a_thin_latent_manifold(tmp_path):
    """Latents on a 2-d plane of R^8 (plus 1% noise), labelled by the side of the plane's first
    axis: the whitened flow's samples stay near the plane, the plain NICE's spread off it."""
    rng = np.random.default_rng(0)
    basis = np.linalg.qr(rng.normal(size=(8, 8)))[0][:, :2]
    u = rng.normal(size=(4000, 2))
    z = (u @ basis.T + 0.01 * rng.normal(size=(4000, 8))).astype(np.float32)
    y = (u[:, :1] > 0).astype(np.float32)
    off_plane = {}
    for whiten in (False, True):
        m = PluGeN(8, ["side"], n_couplings=4, n_layers=2, hidden=64, sigma=0.2, whiten=whiten)
        m.fit(z, y, epochs=30, batch_size=256, lr=1e-3, seed=0)
        g = m.generate({"side": 1}, n=500, seed=0)
        off_plane[whiten] = np.linalg.norm(g - g @ basis @ basis.T, axis=1).mean()
    assert off_plane[True] < 0.05 < 0.3 < off_plane[False], off_plane
    assert (g @ basis[:, 0] > 0).mean() >= 0.95  # the whitened samples carry the request
    m.save(tmp_path / "w.pt")
    loaded = PluGeN.load(tmp_path / "w.pt")
    assert loaded.config.whiten
    np.testing.assert_array_equal(loaded.encode(z[:50])[0], m.encode(z[:50])[0])
