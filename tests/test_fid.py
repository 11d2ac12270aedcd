"""Frechet distance: closed forms, symmetry, and the feature backends' error messages."""

import numpy as np
import pytest
import torch

from plugen.evaluate.fid import (
    ClassifierFeatures,
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
