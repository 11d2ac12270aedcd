"""Frechet distance between feature distributions, with pluggable feature backends.

The default backend is offline: the external attribute classifier's penultimate features
(comparable within this project, not with published Inception FIDs). The paper's FID (Heusel et
al. 2017: Inception-v3 pool features, 2048-d) comes from :class:`InceptionFeatures` with the
TorchScript ``inception-2015-12-05.pt`` that StyleGAN2-ADA and clean-fid use, given by path;
:class:`TorchScriptFeatures` runs any other TorchScript network. Nothing is downloaded.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
import torch.nn.functional as F
from scipy import linalg
from torch import Tensor

from plugen.backbones.image_vae import check_images, map_image_batches


def frechet_distance(
    mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray, eps: float = 1e-6
) -> float:
    """Frechet distance of N(mu1, sigma1) and N(mu2, sigma2): means ``(f,)``, covs ``(f, f)``.

    ``|mu1 - mu2|^2 + tr(sigma1 + sigma2 - 2 sqrt(sigma1 sigma2))``; when the product is singular
    ``eps * I`` is added to both covariances; tiny imaginary parts of the square root are dropped.
    """
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, float)), np.atleast_1d(np.asarray(mu2, float))
    s1, s2 = np.atleast_2d(np.asarray(sigma1, float)), np.atleast_2d(np.asarray(sigma2, float))
    if mu1.shape != mu2.shape or s1.shape != s2.shape or s1.shape != (len(mu1), len(mu1)):
        raise ValueError(
            f"frechet_distance: shapes mu {mu1.shape}/{mu2.shape}, sigma {s1.shape}/{s2.shape} "
            "do not match (expected (f,) and (f, f))"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", linalg.LinAlgWarning)  # singular: handled below
        covmean = linalg.sqrtm(s1 @ s2)
        if not np.isfinite(covmean).all():
            offset = np.eye(len(mu1)) * eps
            covmean = linalg.sqrtm((s1 + offset) @ (s2 + offset))
    covmean = np.real(covmean)
    diff = mu1 - mu2
    return float(max(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * np.trace(covmean), 0.0))


def fid_from_features(f1: np.ndarray, f2: np.ndarray) -> float:
    """Frechet distance of the Gaussians fitted to feature sets ``(n1, f)`` and ``(n2, f)``."""
    f1, f2 = np.asarray(f1, dtype=np.float64), np.asarray(f2, dtype=np.float64)
    if f1.ndim != 2 or f2.ndim != 2 or f1.shape[1] != f2.shape[1]:
        raise ValueError(f"fid_from_features: feature shapes {f1.shape} and {f2.shape} differ")
    if min(len(f1), len(f2)) < 2:
        raise ValueError("fid_from_features: need at least 2 samples in each set")
    return frechet_distance(
        f1.mean(0), np.cov(f1, rowvar=False), f2.mean(0), np.cov(f2, rowvar=False)
    )


def _load_torchscript(path: Path, device: torch.device | str, what: str) -> torch.jit.ScriptModule:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: {what} not found")
    try:
        return torch.jit.load(str(path), map_location=device).eval()
    except Exception as exc:  # noqa: BLE001 - any load failure means a wrong file
        first_error = f"{type(exc).__name__}: {exc}".splitlines()[0]
    try:
        state = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception:  # noqa: BLE001 - neither TorchScript nor a tensor file
        state = None
    if isinstance(state, dict) and state and all(isinstance(v, Tensor) for v in state.values()):
        raise ValueError(
            f"{path}: a state dict (e.g. pytorch-fid's pt_inception-2015-12-05-6726825d.pth), "
            "which needs pytorch-fid's Inception code and torchvision (not installable beside "
            "this torch build); give the TorchScript inception-2015-12-05.pt of StyleGAN2-ADA / "
            "clean-fid instead (same TF Inception weights)"
        )
    raise ValueError(f"{path}: not a TorchScript module ({first_error})")


class FeatureBackend(Protocol):
    """Maps uint8 images ``(n, H, W, 3)`` to features ``(n, f)``."""

    name: str

    def __call__(self, images: np.ndarray) -> np.ndarray: ...


class ClassifierFeatures:
    """Penultimate features of an :class:`~plugen.evaluate.classifier.AttributeClassifier`."""

    name = "classifier"

    def __init__(self, clf, batch_size: int = 512) -> None:
        self.clf = clf
        self.batch_size = batch_size

    def __call__(self, images: np.ndarray) -> np.ndarray:
        return self.clf.features(images, self.batch_size)


class TorchScriptFeatures:
    """Features from a user-supplied TorchScript network (e.g. an exported Inception-v3).

    path: local ``.pt`` file from ``torch.jit.save``; input_size: side the network expects
    (images are resized bilinearly); value_range: pixel range it expects, ``(0, 1)`` or
    ``(-1, 1)``. A tuple/list output uses its first element; outputs are flattened to ``(n, f)``.
    """

    name = "torchscript"

    def __init__(
        self,
        path: str | Path,
        input_size: int = 299,
        value_range: tuple[float, float] = (-1, 1),
        batch_size: int = 64,
        device: torch.device | str = "cpu",
    ) -> None:
        what = "TorchScript feature network (export one with torch.jit.save)"
        self.net = _load_torchscript(Path(path), device, what)
        self.input_size, self.value_range = input_size, value_range
        self.batch_size, self.device = batch_size, device

    def _features(self, x: Tensor) -> Tensor:
        x = F.interpolate(x, size=(self.input_size,) * 2, mode="bilinear", align_corners=False)
        lo, hi = self.value_range
        out = self.net(x * (hi - lo) + lo)
        if isinstance(out, (tuple, list)):
            out = out[0]
        return out.flatten(1).float()

    def __call__(self, images: np.ndarray) -> np.ndarray:
        images = check_images(images, "TorchScriptFeatures")
        f = map_image_batches(self._features, images, self.batch_size, self.device)
        return f.reshape(len(images), -1)


class InceptionFeatures:
    """Inception-v3 pool features ``(n, 2048)`` from the TorchScript ``inception-2015-12-05.pt``.

    That file (the TF FID Inception translated by StyleGAN2-ADA, also used by clean-fid) is
    called as ``net(x, return_features=True)`` with ``x`` float ``(b, 3, H, W)`` in [0, 255] at
    any size: it resizes to 299 x 299 and normalizes itself. path: the file; feature_dim: the
    width the output must have (None: any). Raises ``FileNotFoundError`` for a missing file and
    ``ValueError`` for a state dict such as pytorch-fid's ``.pth`` (naming the file to use
    instead), for anything else that is not TorchScript, and for outputs of the wrong width.
    """

    name = "inception"

    def __init__(
        self,
        path: str | Path,
        batch_size: int = 64,
        device: torch.device | str = "cpu",
        feature_dim: int | None = 2048,
    ) -> None:
        self.path = Path(path)
        self.net = _load_torchscript(self.path, device, "Inception file")
        self.batch_size, self.device, self.feature_dim = batch_size, device, feature_dim

    def _features(self, x: Tensor) -> Tensor:
        with torch.no_grad():
            out = self.net(x * 255.0, return_features=True)
        out = out.flatten(1).float()
        if self.feature_dim is not None and out.shape[1] != self.feature_dim:
            raise ValueError(
                f"{self.path}: returned {out.shape[1]} features per image, expected "
                f"{self.feature_dim} (Inception-v3 pool features)"
            )
        return out

    def __call__(self, images: np.ndarray) -> np.ndarray:
        images = check_images(images, "InceptionFeatures")
        f = map_image_batches(self._features, images, self.batch_size, self.device)
        return f.reshape(len(images), -1)


def fid(real: np.ndarray, fake: np.ndarray, backend: FeatureBackend) -> float:
    """FID between uint8 image sets ``(n1, H, W, 3)`` and ``(n2, H, W, 3)`` under ``backend``."""
    return fid_from_features(backend(real), backend(fake))
