"""The PointNet autoencoder and classifier: shapes, checkpoints, and small training runs."""

import numpy as np
import pytest
import torch

from plugen.backbones.pointnet import (
    PointNetAE,
    PointNetClassifier,
    chamfer_loss,
    decode_latents,
    encode_clouds,
    fit_autoencoder,
    fit_point_classifier,
    latent_spread,
    point_subset,
    reconstruction_chamfer,
)
from plugen.experiments.shapes3d.data import Shapes3DConfig, render
from plugen.train import TrainConfig, seed_everything

POINTS = 128


def _config(epochs: int, batch_size: int = 16, **kw) -> TrainConfig:
    return TrainConfig(epochs=epochs, batch_size=batch_size, patience=None, progress=False, **kw)


@pytest.fixture(scope="module")
def clouds():
    return render(Shapes3DConfig(n_points=POINTS), 48, seed=5)


def test_encode_decode_shapes_and_one_line_errors():
    ae = PointNetAE(n_points=POINTS, latent_dim=32).eval()
    x = torch.randn(5, POINTS, 3)
    z = ae.encode(x)
    assert z.shape == (5, 32) and ae.decode(z).shape == (5, POINTS, 3)
    assert ae.encode(torch.randn(2, 40, 3)).shape == (2, 32)  # any number of points
    # max-pooled: the latent does not depend on the order of the points
    torch.testing.assert_close(ae.encode(x.flip(1)), z)
    with pytest.raises(ValueError, match=r"PointNetAE.encode: x has shape \(5, 128\)"):
        ae.encode(x[..., 0])
    with pytest.raises(ValueError, match=r"expected \(n, 32\)"):
        ae.decode(torch.zeros(5, 31))
    with pytest.raises(ValueError, match="latent_dim"):
        PointNetAE(latent_dim=8)
    with pytest.raises(ValueError, match=r"encode_clouds: clouds have shape \(2, 64, 2\)"):
        encode_clouds(ae, np.zeros((2, 64, 2)))


def test_save_load_round_trip_gives_identical_outputs(tmp_path, clouds):
    seed_everything(0)
    ae = PointNetAE(n_points=POINTS, latent_dim=32)
    ae.train()
    ae(torch.from_numpy(clouds[0][:16]))  # move the batch-norm statistics off their defaults
    ae.save(tmp_path / "ae.pt")
    loaded = PointNetAE.load(tmp_path / "ae.pt")
    z = encode_clouds(ae, clouds[0])
    np.testing.assert_array_equal(encode_clouds(loaded, clouds[0]), z)
    np.testing.assert_array_equal(decode_latents(loaded, z), decode_latents(ae, z))
    assert loaded.config == ae.config and not loaded.training


def test_a_short_training_run_lowers_the_chamfer_distance(clouds):
    cfg = _config(epochs=25, val_fraction=0.0, lr=2e-3)
    seed_everything(cfg.seed)
    untrained = reconstruction_chamfer(PointNetAE(n_points=POINTS, latent_dim=32), clouds[0])
    ae, history = fit_autoencoder(clouds[0], cfg, {"latent_dim": 32})
    trained = reconstruction_chamfer(ae, clouds[0])
    assert trained < 0.5 * untrained
    losses = history.to_frame()["train_loss"]
    assert len(losses) == 25 and losses.iloc[-1] < 0.5 * losses.iloc[0]


def test_point_subsets_train_on_fewer_points_and_validate_on_all(clouds):
    x = torch.arange(2 * 6 * 3, dtype=torch.float32).reshape(2, 6, 3)
    torch.manual_seed(0)
    sub = point_subset(x, 4)
    assert sub.shape == (2, 4, 3)
    rows = [{tuple(p) for p in c.reshape(-1, 3).tolist()} for c in (x, sub)]
    assert rows[1] <= rows[0] and len(rows[1]) == 8  # 4 distinct points of each cloud
    assert point_subset(x, None) is x and point_subset(x, 6) is x
    ae = PointNetAE(n_points=POINTS, latent_dim=32).eval()
    batch = (torch.from_numpy(clouds[0][:8]),)
    full = chamfer_loss(ae, batch)["loss"]
    torch.testing.assert_close(chamfer_loss(ae, batch, points=16)["loss"], full)  # eval: all
    cfg = _config(epochs=4, val_fraction=0.0, lr=2e-3)
    runs = [fit_autoencoder(clouds[0], cfg, {"latent_dim": 32}, train_points=32) for _ in "ab"]
    np.testing.assert_array_equal(*(encode_clouds(ae, clouds[0]) for ae, _ in runs))  # seeded


def test_the_classifier_learns_hollow_above_chance():
    cfg = Shapes3DConfig(n_points=POINTS)
    train_clouds, train_labels = render(cfg, 160, seed=1)
    test_clouds, test_labels = render(cfg, 64, seed=2)
    kinds = {"hollow": "binary", "aspect": "continuous"}
    clf, _ = fit_point_classifier(
        train_clouds, train_labels, kinds, _config(epochs=15, val_fraction=0.0, lr=2e-3)
    )
    pred = clf.predict(test_clouds)
    assert list(pred.columns) == ["pred_hollow", "pred_aspect"]
    accuracy = ((pred["pred_hollow"] > 0.5) == (test_labels["hollow"] > 0.5)).mean()
    assert accuracy >= 0.75, accuracy
    with pytest.raises(ValueError, match="binary column 'hollow'"):
        fit_point_classifier(
            train_clouds, train_labels.assign(hollow=2.0), kinds, _config(epochs=1)
        )
    with pytest.raises(ValueError, match="kinds"):
        PointNetClassifier({"hollow": "ordinal"})


def test_latent_noise_perturbs_training_only_and_gives_the_latents_spread():
    seed_everything(0)
    noisy = PointNetAE(n_points=POINTS, latent_dim=32, latent_noise=0.5)
    x = torch.randn(6, POINTS, 3)
    noisy.eval()
    torch.testing.assert_close(noisy(x), noisy(x))  # eval: deterministic
    noisy.train()
    assert not torch.equal(noisy(x), noisy(x))  # training: the decoder sees perturbed latents
    z = np.array([[0.0, 2.0], [2.0, 6.0]] * 2, dtype=np.float32)  # std per dim: 1, 2
    noisy.latent_dim = 2  # latent_spread reads only the width and the noise level
    spread = latent_spread(noisy, z, n=3)
    np.testing.assert_allclose(spread, [[0.5, 1.0]] * 3)
    assert spread.dtype == np.float32
    assert latent_spread(PointNetAE(n_points=POINTS, latent_dim=32), z, 3) is None
    with pytest.raises(ValueError, match="latent_noise must be >= 0"):
        PointNetAE(latent_noise=-0.1)
