"""DCGAN backbone: training runs, outputs have the documented shapes, checkpoints round-trip."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from plugen.backbones.base import Backbone
from plugen.backbones.dcgan import (
    DCGAN,
    GANConfig,
    backbone_latents,
    decode_latents,
    fit_gan,
    invert_images,
    sample_latents,
)

TINY = dict(
    latent_dim=8,
    image_size=16,
    g_widths=[16, 8],
    d_widths=[8, 16],
    epochs=1,
    batch_size=16,
    bn_samples=64,
)


def _squares(n: int = 64, size: int = 16, seed: int = 0) -> np.ndarray:
    """Coloured squares at random positions on a grey background: uint8 (n, size, size, 3)."""
    rng = np.random.default_rng(seed)
    images = np.full((n, size, size, 3), 128, np.uint8)
    for im in images:
        r, c = rng.integers(0, size - 6, 2)
        im[r : r + 6, c : c + 6] = rng.integers(0, 256, 3)
    return images


@pytest.fixture(scope="module")
def trained() -> tuple[DCGAN, object]:
    return fit_gan(_squares(), GANConfig(**TINY))


def test_fit_gan_history_and_output_ranges(trained) -> None:
    gan, history = trained
    assert isinstance(gan, Backbone) and gan.latent_dim == 8
    assert list(history.to_frame().columns) == [
        "epoch",
        "d_loss",
        "g_loss",
        "real_score",
        "fake_score",
    ]
    assert len(history) == 1 and np.isfinite(history.to_frame().to_numpy()).all()
    z = sample_latents(5, 8, seed=1)
    assert z.shape == (5, 8) and z.dtype == np.float32
    np.testing.assert_array_equal(z, sample_latents(5, 8, seed=1))
    with torch.no_grad():
        x = gan.decode(torch.from_numpy(z))
    assert x.shape == (5, 3, 16, 16) and 0.0 <= float(x.min()) and float(x.max()) <= 1.0
    images = decode_latents(gan, z, batch_size=2)
    assert images.shape == (5, 16, 16, 3) and images.dtype == np.uint8


def test_encode_inverts_own_samples(trained) -> None:
    gan, _ = trained
    images = decode_latents(gan, sample_latents(4, 8, seed=2))
    res = invert_images(gan, images, steps=60, log_every=0)
    assert res.z.shape == (4, 8) and res.history[-1] < res.history[0]
    random_mse = (
        (decode_latents(gan, sample_latents(4, 8, seed=3)) / 255.0 - images / 255.0) ** 2
    ).mean()
    assert float(res.mse.mean()) < 0.5 * random_mse
    assert gan.encode(torch.rand(2, 3, 16, 16), steps=2).shape == (2, 8)


def test_save_load_roundtrip_and_wrong_file(trained, tmp_path) -> None:
    gan, _ = trained
    path = tmp_path / "gan.pt"
    gan.save(path)
    loaded = DCGAN.load(path)
    assert loaded.cfg == gan.cfg
    z = sample_latents(6, 8, seed=4)
    np.testing.assert_array_equal(decode_latents(loaded, z), decode_latents(gan, z))
    torch.save({"format": "something-else"}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a DCGAN checkpoint"):
        DCGAN.load(tmp_path / "other.pt")
    (tmp_path / "junk.pt").write_text("not a checkpoint")
    with pytest.raises(ValueError, match="not a DCGAN checkpoint"):
        DCGAN.load(tmp_path / "junk.pt")


def test_cpu_placement_is_channels_last_and_changes_no_output(trained, tmp_path) -> None:
    gan, _ = trained
    convs = [
        m.weight
        for m in gan.modules()
        if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))
    ]
    assert convs and all(w.is_contiguous(memory_format=torch.channels_last) for w in convs)
    gan.save(tmp_path / "gan.pt")
    plain = DCGAN(gan.cfg)  # default (contiguous) layout, same weights
    plain.load_state_dict(torch.load(tmp_path / "gan.pt", weights_only=False)["state"])
    plain.eval()
    assert plain.generator[-1].weight.is_contiguous()
    z = torch.from_numpy(sample_latents(8, 8, seed=5))
    with torch.no_grad():
        torch.testing.assert_close(plain.decode(z), gan.decode(z), atol=1e-5, rtol=1e-5)


def test_same_seed_same_weights(trained) -> None:
    gan, _ = trained
    again, _ = fit_gan(_squares(), GANConfig(**TINY))
    other, _ = fit_gan(_squares(), GANConfig(**{**TINY, "seed": 1}))
    for (k, a), b in zip(gan.state_dict().items(), again.state_dict().values(), strict=True):
        assert torch.equal(a, b), k
    assert not torch.equal(gan.generator[0].weight, other.generator[0].weight)


def test_bad_inputs_are_rejected() -> None:
    with pytest.raises(ValueError, match="expected uint8"):
        fit_gan(np.zeros((4, 16, 16, 3), np.float32), GANConfig(**TINY))
    with pytest.raises(ValueError, match="expected 16x16"):
        fit_gan(np.zeros((4, 8, 8, 3), np.uint8), GANConfig(**TINY))
    with pytest.raises(ValueError, match="loss must be"):
        GANConfig(loss="wasserstein")
    with pytest.raises(ValueError, match="unknown keys"):
        GANConfig.from_dict({"latent_dims": 3})
    with pytest.raises(ValueError, match="expected \\(n, 8\\)"):
        DCGAN(GANConfig(**TINY)).decode(torch.zeros(2, 5))


@pytest.mark.parametrize("options", [{"loss": "hinge", "d_norm": "spectral"}, {"d_norm": "batch"}])
def test_alternative_discriminators_train(options) -> None:
    gan, history = fit_gan(_squares(32), GANConfig(**{**TINY, **options, "r1_gamma": 1.0}))
    assert np.isfinite(history.to_frame().to_numpy()).all()
    assert decode_latents(gan, sample_latents(2, 8, seed=0)).shape == (2, 16, 16, 3)


def test_mapping_network_makes_w_the_backbone_latent(tmp_path) -> None:
    gan, _ = fit_gan(_squares(), GANConfig(**TINY, mapping_layers=2))
    w = backbone_latents(gan, 32, seed=3)
    z = torch.as_tensor(sample_latents(32, 8, seed=3))
    with torch.no_grad():
        direct = torch.sigmoid(gan.generator(z))  # synthesis(mapping(z))
    assert torch.allclose(gan.decode(torch.as_tensor(w)), direct, atol=1e-5)
    assert not np.allclose(w, z.numpy())  # decode takes w, not z
    target = decode_latents(gan, w[:4])
    res = invert_images(gan, target, steps=30, candidates=64)
    assert res.z.shape == (4, 8)
    recon = decode_latents(gan, res.z.numpy()).astype(float)
    random = decode_latents(gan, backbone_latents(gan, 4, seed=9)).astype(float)
    assert np.mean((recon - target) ** 2) < np.mean((random - target) ** 2)
    gan.save(tmp_path / "g.pt")
    again = DCGAN.load(tmp_path / "g.pt")
    assert np.allclose(backbone_latents(again, 8, seed=3), w[:8], atol=1e-6)
    with pytest.raises(ValueError, match="mapping_layers"):
        GANConfig(mapping_layers=-1)
