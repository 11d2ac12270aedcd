"""Restoration metrics: PSNR, SSIM and the diversity of fillings on a region, known answers."""

import numpy as np
import pytest

from plugen.evaluate.restoration import fill_diversity, image_diversity, psnr, ssim


def test_psnr_and_ssim_known_answers():
    rng = np.random.default_rng(0)
    truth = rng.random((2, 3, 16, 16))
    everywhere = np.ones((1, 1, 16, 16))
    np.testing.assert_allclose(psnr(truth + 0.1, truth, everywhere), [20.0, 20.0])
    np.testing.assert_allclose(ssim(truth, truth, everywhere), [1.0, 1.0])
    assert (ssim(1 - truth, truth, everywhere) < 0).all()  # anti-correlated structure
    region = np.zeros((2, 1, 16, 16))
    region[:, :, :8] = 1
    wrong = truth.copy()
    wrong[:, :, 8:] += 0.5  # errors only outside the region
    assert psnr(wrong, truth, region)[0] > 100
    assert np.isnan(psnr(truth, truth, np.zeros((1, 1, 16, 16)))).all()
    with pytest.raises(ValueError, match="region has shape"):
        psnr(truth, truth, np.ones((2, 16, 16)))


def test_diversity_of_fillings_against_the_diversity_between_images():
    base = np.zeros((2, 3, 4, 4))
    fills = np.stack([base, base + 0.2, base + 0.4], 1)  # (n, k, C, H, W)
    region = np.ones((1, 1, 4, 4))
    np.testing.assert_allclose(fill_diversity(fills, region), [0.8 / 3] * 2)  # (.2 + .4 + .2) / 3
    assert np.isnan(fill_diversity(fills[:, :1], region)).all()
    images = np.stack([base[0], base[0] + 0.5])
    np.testing.assert_allclose(image_diversity(images, region), [0.5, 0.5])
