"""Operators, masks and the classical fill of plugen.inverse."""

import numpy as np
import pytest
import torch
from PIL import Image

from plugen.inverse import Downsample, Greyscale, Mask, Operator, harmonic_fill, make_operator
from plugen.inverse.masks import box_mask, half_mask, make_masks, read_mask, stroke_masks


def test_masks_hide_what_they_say():
    box = box_mask(32, 0.5)
    assert box.sum() == 32 * 32 - 16 * 16 and box[8:24, 8:24].sum() == 0
    lower = half_mask(32, "lower")
    assert lower[:16].all() and not lower[16:].any()
    strokes = stroke_masks(3, 32, count=2, width=3, seed=1)
    assert strokes.shape == (3, 32, 32) and 0 < (1 - strokes).mean() < 0.5
    assert np.array_equal(strokes, stroke_masks(3, 32, count=2, width=3, seed=1))
    assert not np.array_equal(strokes[0], strokes[1])  # one draw per image
    keep = make_masks({"kind": "half", "side": "left"}, 2, 16)
    assert keep.shape == (2, 1, 16, 16) and keep.dtype == np.float32
    with pytest.raises(ValueError, match="mask kind must be one of"):
        make_masks({"kind": "circle"}, 2, 16)
    with pytest.raises(ValueError, match="side must be one of"):
        half_mask(16, "middle")


def test_mask_files_white_is_hidden_and_sizes_are_checked(tmp_path):
    hidden = np.zeros((8, 8), np.uint8)
    hidden[2:4, 2:6] = 255
    Image.fromarray(hidden).save(tmp_path / "m.png")
    keep = read_mask(tmp_path / "m.png", 3, (8, 8))
    assert keep.shape == (3, 1, 8, 8) and keep[0, 0, 2:4, 2:6].sum() == 0 and keep.sum() == 3 * 56
    np.save(tmp_path / "m.npy", np.ones((2, 8, 8), np.float32))
    assert read_mask(tmp_path / "m.npy", 2, (8, 8)).shape == (2, 1, 8, 8)
    with pytest.raises(ValueError, match=r"m.npy: mask has shape \(2, 8, 8\), expected"):
        read_mask(tmp_path / "m.npy", 2, (16, 16))
    with pytest.raises(FileNotFoundError, match="mask file not found"):
        read_mask(tmp_path / "none.png", 1, (8, 8))


def test_operators():
    x = torch.rand(2, 3, 8, 8)
    assert Downsample(4)(x).shape == (2, 3, 2, 2)
    torch.testing.assert_close(Downsample(2)(x)[0, 0, 0, 0], x[0, 0, :2, :2].mean())
    grey = Greyscale()(torch.ones(1, 3, 4, 4) * torch.tensor([1.0, 0, 0]).view(1, 3, 1, 1))
    assert torch.allclose(grey, torch.full((1, 1, 4, 4), 0.299))
    keep = torch.ones(2, 1, 8, 8)
    keep[1, :, :4] = 0
    mask = Mask(keep, noise=0.1)
    assert mask.select(torch.tensor([1, 1])).keep.shape == (2, 1, 8, 8)
    assert (mask(x)[1, :, :4] == 0).all()
    noisy = mask.observe(x, seed=3)
    assert torch.equal(noisy, mask.observe(x, seed=3)) and not torch.equal(noisy, mask(x))
    with pytest.raises(ValueError, match="not divisible by 3"):
        Downsample(3)(x)
    with pytest.raises(ValueError, match="expected \\(n, 3, H, W\\)"):
        Greyscale()(torch.rand(1, 1, 4, 4))
    with pytest.raises(ValueError, match="keep must hold values in"):
        Mask(torch.full((1, 1, 4, 4), 2.0))
    with pytest.raises(ValueError, match="operator must be one of"):
        make_operator("blur")


def test_harmonic_fill_reproduces_a_harmonic_image_and_keeps_observed_pixels():
    ramp = np.broadcast_to(np.linspace(0, 1, 16, dtype=np.float32), (1, 3, 16, 16)).copy()
    keep = box_mask(16, 0.5)[None, None]
    hole = ramp * keep  # the hidden part zeroed
    filled = harmonic_fill(hole, keep)
    np.testing.assert_allclose(filled, ramp, atol=1e-5)  # a linear ramp is harmonic
    observed = np.random.default_rng(0).random((2, 3, 8, 8)).astype(np.float32)
    keep2 = np.broadcast_to(half_mask(8, "right"), (2, 1, 8, 8))
    out = harmonic_fill(observed * keep2, keep2)
    np.testing.assert_array_equal(out[..., :4], (observed * keep2)[..., :4])
    assert out.min() >= 0 and out.max() <= 1  # the maximum principle


class PerImageShift(Operator):
    """A per-image operator without its own data_terms: adds image i's offset."""

    def __init__(self, offsets: torch.Tensor) -> None:
        self.offsets = offsets

    def __call__(self, x):
        return x + self.offsets.view(-1, 1, 1, 1)

    def select(self, index):
        return PerImageShift(self.offsets[index])


def test_data_terms_of_every_pair_equal_the_direct_computation():
    gen = torch.Generator().manual_seed(0)
    images, truth = torch.rand(5, 3, 8, 8, generator=gen), torch.rand(4, 3, 8, 8, generator=gen)
    keep = (torch.rand(4, 1, 8, 8, generator=gen) > 0.3).float()
    index = torch.tensor([0, 2, 3])
    for op in (Mask(keep), Downsample(2), Greyscale(), PerImageShift(torch.arange(4.0))):
        y = op.select(index)(truth[index])
        direct = torch.stack(
            [
                0.5 * (op.select(i.repeat(5))(images) - y[j]).pow(2).flatten(1).sum(1) / 0.1**2
                for j, i in enumerate(index)
            ]
        )
        torch.testing.assert_close(
            op.data_terms(images, y, index, 0.1), direct, rtol=1e-4, atol=1e-2
        )
