"""Figures for people: image grids and manipulation strips (Pillow, no display needed)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw

from plugen import io


def image_grid(
    rows: Sequence[np.ndarray], labels: Sequence[str], path: str | Path, scale: int = 2
) -> Path:
    """Save a grid: one row per uint8 image stack ``(m, H, W, 3)``, a text label on the left."""
    h, w = rows[0].shape[1:3]
    width = max(len(r) for r in rows)
    label_w = 8 * max(len(s) for s in labels) + 8
    canvas = Image.new("RGB", (label_w + width * w * scale, len(rows) * h * scale), "white")
    draw = ImageDraw.Draw(canvas)
    for i, (row, text) in enumerate(zip(rows, labels)):
        draw.text((4, i * h * scale + h * scale // 2 - 5), text, fill="black")
        for j, img in enumerate(row):
            tile = Image.fromarray(img).resize((w * scale, h * scale), Image.NEAREST)
            canvas.paste(tile, (label_w + j * w * scale, i * h * scale))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(path)
    return path


def task_figure(
    samples: pd.DataFrame,
    root: str | Path,
    path: str | Path,
    originals: Callable[[list[str]], np.ndarray] | None = None,
    n_rows: int = 12,
    n_cols: int = 10,
) -> Path:
    """One row per generation group or per source image (the source first when ``originals``
    maps source ids to images), from a samples table whose images lie under ``root``."""
    key = "source_id" if "source_id" in samples and samples["source_id"].notna().any() else "group"
    groups = list(samples.groupby(key, sort=True))[:n_rows]
    rows, labels = [], []
    for name, group in groups:
        row = io.read_images(group["image_path"].head(n_cols), root)
        if key == "source_id" and originals is not None:
            row = np.concatenate([originals([str(name)]), row])
        rows.append(row)
        labels.append(str(name)[:14])
    return image_grid(rows, labels, path)
