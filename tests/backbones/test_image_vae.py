"""Image VAE backbone: protocol, training, determinism, numpy helpers, checkpoints."""

import numpy as np
import pytest
import torch

from plugen.backbones.base import Backbone
from plugen.backbones.image_vae import (
    ImageVAE,
    active_dims,
    decode_latents,
    encode_images,
    fit_vae,
    latent_kl,
    reconstruction_quality,
    vae_loss,
)
from plugen.experiments.shapes.data import ShapesConfig, make_dataset
from plugen.train import TrainConfig

TINY = {"latent_dim": 8, "widths": [8, 16, 32]}
CFG = TrainConfig(epochs=2, batch_size=32, lr=3e-3, progress=False, seed=0)


@pytest.fixture(scope="module")
def images():
    return make_dataset(128, 0, 0, ShapesConfig(seed=5))[1]


@pytest.fixture(scope="module")
def trained(images):
    return fit_vae(images, CFG, TINY)


def test_is_a_backbone_with_documented_shapes():
    vae = ImageVAE(**TINY).eval()
    assert isinstance(vae, Backbone) and vae.latent_dim == 8
    x = torch.rand(3, 3, 32, 32)
    assert vae.encode(x).shape == (3, 8)
    out = vae.decode(torch.randn(3, 8))
    assert out.shape == (3, 3, 32, 32) and out.min() >= 0 and out.max() <= 1


def test_training_lowers_the_loss_and_is_deterministic(images, trained):
    vae, history = trained
    frame = history.to_frame()
    assert len(frame) == 2 and frame["train_loss"].iloc[1] < frame["train_loss"].iloc[0]
    z = encode_images(vae, images[:20])
    assert z.shape == (20, 8) and z.dtype == np.float32
    again, _ = fit_vae(images, CFG, TINY)
    np.testing.assert_array_equal(encode_images(again, images[:20]), z)
    rec = decode_latents(vae, z)
    assert rec.shape == (20, 32, 32, 3) and rec.dtype == np.uint8


def test_warmup_weight_applies_only_while_training():
    vae = ImageVAE(beta=2.0, **TINY)
    vae.kl_weight = 0.1
    batch = (torch.randint(0, 255, (4, 3, 32, 32), dtype=torch.uint8),)
    t = vae_loss(vae.train(), batch)
    assert torch.allclose(t["loss"], t["recon"] + 0.2 * t["kl"])
    e = vae_loss(vae.eval(), batch)
    assert torch.allclose(e["loss"], e["recon"] + 2.0 * e["kl"])


def test_quality_and_latent_statistics(images, trained):
    vae, _ = trained
    q = reconstruction_quality(vae, images[:50])
    assert q["psnr"] == pytest.approx(10 * np.log10(1 / q["mse"]))
    kl = latent_kl(vae, images[:50])
    assert kl.shape == (8,) and (kl >= 0).all()
    assert active_dims(np.array([0.5, 0.001, 0.02])) == 2


def test_save_load_and_clear_errors(images, trained, tmp_path):
    vae, _ = trained
    vae.save(tmp_path / "vae.pt")
    back = ImageVAE.load(tmp_path / "vae.pt")
    np.testing.assert_array_equal(encode_images(back, images[:8]), encode_images(vae, images[:8]))
    (tmp_path / "junk.pt").write_text("junk")
    with pytest.raises(ValueError, match="not a image VAE checkpoint"):
        ImageVAE.load(tmp_path / "junk.pt")
    with pytest.raises(ValueError, match=r"expected \(n, 8\)"):
        decode_latents(vae, np.zeros((2, 4)))
    with pytest.raises(ValueError, match="expected uint8"):
        encode_images(vae, images[:2].astype(float))
