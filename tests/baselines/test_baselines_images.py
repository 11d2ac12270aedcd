import numpy as np
import pytest

from plugen.baselines import CVAE, MSP, load_baseline
from plugen.evaluate.metrics import image_error


def _images(n, seed=0):
    """16x16 images: attribute a = red left half, b = green top half, plus pixel noise."""
    rng = np.random.default_rng(seed)
    y = (rng.random((n, 2)) < 0.5).astype(np.float32)
    x = rng.integers(0, 40, size=(n, 16, 16, 3))
    x[:, :, :8, 0] += (215 * y[:, 0])[:, None, None].astype(int)
    x[:, :8, :, 1] += (215 * y[:, 1])[:, None, None].astype(int)
    return x.clip(0, 255).astype(np.uint8), y


@pytest.fixture(scope="module")
def data():
    return _images(512)


@pytest.fixture(scope="module")
def msp(data):
    x, y = data
    m = MSP(16, ["a", "b"], latent_dim=12, widths=(16, 32))
    hist = m.fit(x, y, epochs=8, batch_size=64, lr=3e-3, seed=0)
    return m, hist


def test_msp_reconstructs_and_edits_the_label_subspace(msp, data):
    m, hist = msp
    x, y = data
    assert hist[-1]["val_loss"] < hist[0]["val_loss"]
    recon = m.manipulate(x[:100], {})
    mean_image = np.broadcast_to(x.mean(0).round().astype(np.uint8), x[:100].shape)
    assert image_error(x[:100], recon)["mse"] < 0.3 * image_error(x[:100], mean_image)["mse"]
    z = m.encode(x[:50])
    z2 = m.edit_latents(z, {"a": 1})
    read = (z2 @ m.net.M.detach().T).numpy()
    np.testing.assert_allclose(read[:, 0], 1.0, atol=1e-4)  # a set to its coded target +1
    np.testing.assert_allclose(read[:, 1], (z @ m.net.M.detach().T).numpy()[:, 1], atol=1e-4)
    edited = m.manipulate(x[:50], {"a": 1})
    assert edited.shape == (50, 16, 16, 3) and edited.dtype == np.uint8
    assert edited[:, :, :8, 0].mean() > x[:50, :, :8, 0].mean()  # left halves turn red


def test_msp_does_not_generate_and_round_trips(msp, data, tmp_path):
    m, _ = msp
    x, _ = data
    assert MSP.tasks == ("manipulation",)
    with pytest.raises(NotImplementedError, match="MSP does not generate"):
        m.generate({"a": 1}, 4)
    m.save(tmp_path / "msp.pt")
    back = load_baseline(tmp_path / "msp.pt")
    np.testing.assert_array_equal(back.manipulate(x[:8], {"b": 0}), m.manipulate(x[:8], {"b": 0}))


def test_cvae_trains_and_generates_images(data, tmp_path):
    x, y = data
    m = CVAE(16, ["a", "b"], latent_dim=8, widths=(16, 32))
    hist = m.fit(x, y, epochs=4, batch_size=64, lr=3e-3, seed=0)
    assert hist[-1]["train_loss"] < hist[0]["train_loss"]
    g = m.generate({"a": 1, "b": 0}, n=10, seed=0)
    assert g.shape == (10, 16, 16, 3) and g.dtype == np.uint8
    g0 = m.generate({"a": 0, "b": 0}, n=10, seed=0)
    assert g[:, :, :8, 0].mean() > g0[:, :, :8, 0].mean() + 50  # the condition shows
    with pytest.raises(NotImplementedError, match="cVAE does not manipulate"):
        m.manipulate(x[:2], {"a": 1})
    m.save(tmp_path / "cvae.pt")
    back = load_baseline(tmp_path / "cvae.pt")
    np.testing.assert_array_equal(
        back.generate({"a": 1}, 3, seed=4), m.generate({"a": 1}, 3, seed=4)
    )
