"""Frechet distance: closed forms, symmetry, and the feature backends' error messages."""

import numpy as np
import pytest
import torch

from plugen.evaluate.fid import (
    ClassifierFeatures,
    InceptionFeatures,
    TorchScriptFeatures,
    fid,
    fid_from_features,
    frechet_distance,
)


def test_identical_gaussians_have_zero_distance():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(5, 5))
    cov = a @ a.T + np.eye(5)
    assert frechet_distance(np.ones(5), cov, np.ones(5), cov) == pytest.approx(0.0, abs=1e-6)


def test_closed_form_one_dimensional_and_diagonal():
    # 1-d: (m1 - m2)^2 + (s1 - s2)^2 with standard deviations s
    assert frechet_distance([0.0], [[4.0]], [1.0], [[1.0]]) == pytest.approx(1.0 + 1.0)
    v1, v2 = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 1.0])
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(v1) - np.sqrt(v2)) ** 2)
    assert frechet_distance(mu1, np.diag(v1), mu2, np.diag(v2)) == pytest.approx(expected)


def test_symmetric_and_singular_covariances_are_handled():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(400, 4)), rng.normal(size=(300, 4)) * 2 + 1
    assert fid_from_features(a, b) == pytest.approx(fid_from_features(b, a), rel=1e-6)
    singular = np.diag([1.0, 0.0, 0.0])
    assert frechet_distance(np.zeros(3), singular, np.zeros(3), np.eye(3)) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="differ"):
        fid_from_features(a, b[:, :3])


def test_torchscript_backend_errors_and_resizing(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        TorchScriptFeatures(tmp_path / "missing.pt")
    bogus = tmp_path / "bogus.pt"
    bogus.write_bytes(b"not a model")
    with pytest.raises(ValueError, match="not a TorchScript module"):
        TorchScriptFeatures(bogus)

    class Net(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            # features: the input's side and its pixel range, to check resizing and scaling
            return torch.stack([x.new_full((len(x),), float(x.shape[-1])), x.amin((1, 2, 3))], 1)

    path = tmp_path / "net.pt"
    torch.jit.save(torch.jit.script(Net()), str(path))
    backend = TorchScriptFeatures(path, input_size=20, value_range=(-1, 1))
    images = np.zeros((3, 8, 8, 3), dtype=np.uint8)
    feats = backend(images)
    assert feats.shape == (3, 2)
    np.testing.assert_allclose(feats, [[20.0, -1.0]] * 3)
    assert fid(images, images, backend) == pytest.approx(0.0, abs=1e-9)


def test_classifier_backend_uses_features():
    class Fake:
        def features(self, images, batch_size):
            return images.reshape(len(images), -1)[:, :4].astype(np.float32)

    images = np.random.default_rng(0).integers(0, 255, (10, 4, 4, 3), dtype=np.uint8)
    assert ClassifierFeatures(Fake())(images).shape == (10, 4)


def test_closed_form_with_shared_rotated_eigenvectors_and_from_samples():
    # S1 = R diag(a) R^T, S2 = R diag(b) R^T commute: distance = |dmu|^2 + sum (sqrt a - sqrt b)^2
    theta = 0.7
    rot = np.array(
        [[np.cos(theta), -np.sin(theta), 0.0], [np.sin(theta), np.cos(theta), 0.0], [0, 0, 1]]
    )
    a, b = np.array([4.0, 1.0, 0.25]), np.array([1.0, 9.0, 0.25])
    s1, s2 = rot @ np.diag(a) @ rot.T, rot @ np.diag(b) @ rot.T
    mu1, mu2 = np.array([1.0, 0.0, -1.0]), np.array([0.0, 2.0, -1.0])
    expected = 1.0 + 4.0 + (2.0 - 1.0) ** 2 + (1.0 - 3.0) ** 2  # = 10
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected)
    rng = np.random.default_rng(0)
    x1 = rng.multivariate_normal(mu1, s1, size=40_000)
    x2 = rng.multivariate_normal(mu2, s2, size=40_000)
    assert fid_from_features(x1, x2) == pytest.approx(expected, rel=0.03)


class _FakeInception(torch.nn.Module):
    """StyleGAN2-ADA's calling convention: features only with return_features=True."""

    def forward(self, x: torch.Tensor, return_features: bool = False) -> torch.Tensor:
        if not return_features:
            return torch.zeros(len(x), 1008)  # class scores
        m = x.mean((2, 3))  # per-channel mean of the [0, 255] input
        side = x.new_full((len(x), 1), float(x.shape[-1]))
        return torch.cat([m.repeat(1, 682), m[:, :1], side], 1)  # 2046 + 1 + 1 = 2048


def test_inception_torchscript_gets_0_255_pixels_at_native_size(tmp_path):
    path = tmp_path / "inception-2015-12-05.pt"
    torch.jit.save(torch.jit.script(_FakeInception()), str(path))
    backend = InceptionFeatures(path, batch_size=2)
    images = np.zeros((3, 10, 10, 3), dtype=np.uint8)
    images[:, :, :, 0] = np.array([0, 128, 255], dtype=np.uint8)[:, None, None]
    images[:, :, :, 2] = 7
    feats = backend(images)
    assert feats.shape == (3, 2048)
    np.testing.assert_allclose(feats[:, 0], [0.0, 128.0, 255.0], atol=1e-3)
    np.testing.assert_allclose(feats[:, 2], 7.0, atol=1e-3)
    np.testing.assert_allclose(feats[:, -1], 10.0)  # not resized here: the network does that


class _SmallInception(torch.nn.Module):
    def forward(self, x: torch.Tensor, return_features: bool = False) -> torch.Tensor:
        return x.mean((2, 3)) if return_features else torch.zeros(len(x), 1008)


def test_fid_through_the_inception_backend_has_the_known_answer(tmp_path):
    # a 3-d stand-in keeps the matrix square root cheap (2048-d takes minutes on a busy CPU)
    path = tmp_path / "small.pt"
    torch.jit.save(torch.jit.script(_SmallInception()), str(path))
    backend = InceptionFeatures(path, feature_dim=None)
    rng = np.random.default_rng(0)
    images = np.repeat(rng.integers(0, 200, (50, 1, 1, 3), dtype=np.uint8), 4, axis=1)
    images = np.repeat(images, 4, axis=2)
    assert fid(images, images, backend) == pytest.approx(0.0, abs=1e-6)
    shifted = images.copy()
    shifted[..., 2] += 10  # the mean of channel 2 moves by 10, covariances stay
    assert fid(images, shifted, backend) == pytest.approx(100.0, rel=1e-6)


def test_inception_rejects_pytorch_fid_state_dict_and_wrong_width(tmp_path):
    pth = tmp_path / "pt_inception-2015-12-05-6726825d.pth"
    torch.save({"Conv2d_1a_3x3.conv.weight": torch.zeros(32, 3, 3, 3)}, str(pth))
    with pytest.raises(ValueError, match="a state dict .* give the TorchScript inception-2015"):
        InceptionFeatures(pth)
    with pytest.raises(FileNotFoundError, match="Inception file not found"):
        InceptionFeatures(tmp_path / "missing.pt")

    class Narrow(torch.nn.Module):
        def forward(self, x: torch.Tensor, return_features: bool = False) -> torch.Tensor:
            return x.mean((2, 3))

    narrow = tmp_path / "narrow.pt"
    torch.jit.save(torch.jit.script(Narrow()), str(narrow))
    with pytest.raises(ValueError, match="returned 3 features per image, expected 2048"):
        InceptionFeatures(narrow)(np.zeros((2, 4, 4, 3), dtype=np.uint8))
