"""Restoration metrics on a region of the image: PSNR, SSIM and the diversity of fillings.

Images are float arrays ``(n, C, H, W)`` on the [0, 1] scale; a region is a 0/1 array
``(n, 1, H, W)`` (or ``(1, 1, H, W)``) selecting the pixels scored (e.g. the hidden part of an
inpainting mask, or the observed part).
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter


def _region(region: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    n, _, h, w = shape
    region = np.asarray(region, dtype=np.float64)
    if region.ndim != 4 or region.shape[1] != 1 or region.shape[2:] != (h, w):
        raise ValueError(f"region has shape {region.shape}, expected (n, 1, {h}, {w})")
    return np.broadcast_to(region, (n, 1, h, w))


def psnr(x: np.ndarray, truth: np.ndarray, region: np.ndarray) -> np.ndarray:
    """Peak signal-to-noise ratio in dB ``(n,)`` over ``region``: ``10 log10(1 / MSE)`` with
    the MSE over the region's pixels and all channels; NaN for an empty region."""
    x, truth = np.asarray(x, np.float64), np.asarray(truth, np.float64)
    if x.shape != truth.shape:
        raise ValueError(f"psnr: shapes {x.shape} and {truth.shape} differ")
    r = _region(region, x.shape)
    weight = r.sum((1, 2, 3)) * x.shape[1]
    mse = (((x - truth) ** 2) * r).sum((1, 2, 3)) / np.maximum(weight, 1)
    with np.errstate(divide="ignore"):
        out = 10 * np.log10(1.0 / np.maximum(mse, 1e-12))
    return np.where(weight > 0, out, np.nan)


def ssim(x: np.ndarray, truth: np.ndarray, region: np.ndarray, sigma: float = 1.5) -> np.ndarray:
    """Structural similarity ``(n,)`` (Wang et al. 2004: Gaussian window of std ``sigma``,
    K1 0.01, K2 0.03, data range 1, reflected borders), the SSIM map averaged over the region's
    pixels and the channels; NaN for an empty region."""
    x, truth = np.asarray(x, np.float64), np.asarray(truth, np.float64)
    if x.shape != truth.shape:
        raise ValueError(f"ssim: shapes {x.shape} and {truth.shape} differ")
    r = _region(region, x.shape)

    def blur(a: np.ndarray) -> np.ndarray:
        return gaussian_filter(a, sigma=(0, 0, sigma, sigma), mode="reflect", truncate=3.5)

    c1, c2 = 0.01**2, 0.03**2
    mx, my = blur(x), blur(truth)
    vx, vy, cov = blur(x * x) - mx**2, blur(truth * truth) - my**2, blur(x * truth) - mx * my
    smap = ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2))
    weight = r.sum((1, 2, 3)) * x.shape[1]
    score = (smap * r).sum((1, 2, 3)) / np.maximum(weight, 1)
    return np.where(weight > 0, score, np.nan)


def region_distance(a: np.ndarray, b: np.ndarray, region: np.ndarray) -> np.ndarray:
    """Root-mean-square difference ``(n,)`` of ``a`` and ``b`` over the region's pixels."""
    r = _region(region, a.shape)
    weight = r.sum((1, 2, 3)) * a.shape[1]
    return np.sqrt((((a - b) ** 2) * r).sum((1, 2, 3)) / np.maximum(weight, 1))


def fill_diversity(fills: np.ndarray, region: np.ndarray) -> np.ndarray:
    """Mean pairwise RMS distance ``(n,)`` on the region between the ``k`` fillings of each
    image, ``fills`` ``(n, k, C, H, W)``; NaN for ``k < 2``."""
    fills = np.asarray(fills, np.float64)
    n, k = fills.shape[:2]
    if k < 2:
        return np.full(n, np.nan)
    pairs = [(i, j) for i in range(k) for j in range(i + 1, k)]
    return np.mean([region_distance(fills[:, i], fills[:, j], region) for i, j in pairs], axis=0)


def image_diversity(truth: np.ndarray, region: np.ndarray) -> np.ndarray:
    """The reference for :func:`fill_diversity`: RMS distance ``(n,)`` on image ``i``'s
    region between different real images ``i`` and ``i + 1`` (cyclic)."""
    truth = np.asarray(truth, np.float64)
    return region_distance(truth, np.roll(truth, -1, axis=0), region)
