"""Masks of the inpainting tasks: ``keep`` arrays ``(n, 1, H, W)`` float32, 1 = observed.

Kinds: ``box`` (a centred square, side ``size`` of the image side), ``half`` (the ``side``
half hidden: lower, upper, left, right), ``strokes`` (``count`` seeded random thick line
segments of ``width`` pixels per image). Files: a ``.npy`` array ``(H, W)`` or ``(n, H, W)``, or
an image (PNG, ...) whose white (nonzero) pixels are hidden, as in common inpainting data sets.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

KINDS = ("box", "half", "strokes")
SIDES = ("lower", "upper", "left", "right")


def box_mask(size: int, fraction: float = 0.5) -> np.ndarray:
    """``(size, size)``: a centred square of side ``round(fraction * size)`` hidden."""
    if not 0 < fraction < 1:
        raise ValueError(f"box mask: size must be in (0, 1), got {fraction}")
    side = max(1, round(fraction * size))
    lo = (size - side) // 2
    keep = np.ones((size, size), np.float32)
    keep[lo : lo + side, lo : lo + side] = 0
    return keep


def half_mask(size: int, side: str = "lower") -> np.ndarray:
    """``(size, size)``: the ``side`` half hidden."""
    if side not in SIDES:
        raise ValueError(f"half mask: side must be one of {SIDES}, got {side!r}")
    keep = np.ones((size, size), np.float32)
    h = size // 2
    region = {
        "lower": np.s_[h:, :],
        "upper": np.s_[:h, :],
        "left": np.s_[:, :h],
        "right": np.s_[:, h:],
    }[side]
    keep[region] = 0
    return keep


def stroke_masks(n: int, size: int, count: int = 4, width: int = 3, seed: int = 0) -> np.ndarray:
    """``(n, size, size)``: per image ``count`` random segments of ``width`` pixels hidden."""
    if count < 1 or width < 1:
        raise ValueError(f"strokes mask: count and width must be >= 1, got {count}, {width}")
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    keep = np.ones((n, size, size), np.float32)
    for i in range(n):
        for _ in range(count):
            a, b = rng.uniform(0, size, 2), rng.uniform(0, size, 2)
            ab = b - a
            t = ((xx - a[0]) * ab[0] + (yy - a[1]) * ab[1]) / max(float(ab @ ab), 1e-6)
            t = np.clip(t, 0, 1)
            dist = np.hypot(xx - (a[0] + t * ab[0]), yy - (a[1] + t * ab[1]))
            keep[i][dist <= width / 2] = 0
    return keep


def make_masks(spec: Mapping[str, Any], n: int, size: int, seed: int = 0) -> np.ndarray:
    """``(n, 1, size, size)`` keep masks for a config entry ``{kind, ...options}``."""
    options = {k: v for k, v in spec.items() if k != "kind"}
    kind = spec.get("kind")
    if kind == "box":
        keep = np.broadcast_to(box_mask(size, options.get("size", 0.5)), (n, size, size))
    elif kind == "half":
        keep = np.broadcast_to(half_mask(size, options.get("side", "lower")), (n, size, size))
    elif kind == "strokes":
        keep = stroke_masks(n, size, options.get("count", 4), options.get("width", 3), seed)
    else:
        raise ValueError(f"mask kind must be one of {KINDS}, got {kind!r}")
    return np.ascontiguousarray(keep[:, None], dtype=np.float32)


def read_mask(path: str | Path, n: int, size: tuple[int, int]) -> np.ndarray:
    """A mask file as ``(n, 1, H, W)`` keep masks for ``n`` images of ``size`` ``(H, W)``.

    ``.npy``: 1 = observed, ``(H, W)`` (every image) or ``(n, H, W)``; an image file: white
    (nonzero) = hidden. ValueError naming the file for another size or count."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: mask file not found")
    if path.suffix == ".npy":
        keep = np.load(path, allow_pickle=False).astype(np.float32)
    else:
        from PIL import Image

        with Image.open(path) as img:
            keep = (np.asarray(img.convert("L")) == 0).astype(np.float32)
    if keep.ndim == 2:
        keep = np.broadcast_to(keep, (n, *keep.shape))
    if keep.ndim != 3 or keep.shape[1:] != tuple(size) or len(keep) != n:
        raise ValueError(
            f"{path}: mask has shape {keep.shape}, expected {tuple(size)} or "
            f"({n}, {size[0]}, {size[1]}) for the {n} images"
        )
    if keep.min() < 0 or keep.max() > 1:
        raise ValueError(f"{path}: mask values must be in [0, 1] (1 = observed)")
    return np.ascontiguousarray(keep[:, None])
