"""Figures for people: image grids and manipulation strips (Pillow, no display needed)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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


def contact_sheet(
    images: np.ndarray, path: str | Path, columns: int = 8, min_side: int = 64, limit: int = 64
) -> Path:
    """Save the first ``limit`` uint8 images ``(n, H, W, 3)`` as one grid of ``columns``,
    each tile upscaled (nearest, an integer factor) to at least ``min_side`` pixels."""
    images = np.asarray(images)[:limit]
    h, w = images.shape[1:3]
    scale = max(1, -(-min_side // min(h, w)))
    cols = min(columns, len(images))
    rows = -(-len(images) // cols)
    canvas = Image.new("RGB", (cols * w * scale + cols - 1, rows * h * scale + rows - 1), "white")
    for i, img in enumerate(images):
        tile = Image.fromarray(img).resize((w * scale, h * scale), Image.NEAREST)
        canvas.paste(tile, ((i % cols) * (w * scale + 1), (i // cols) * (h * scale + 1)))
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
    """A grid of a task's images (under ``root``). Gradual tasks (a ``step`` column): one row per
    source, the source first when ``originals`` maps source ids to images. Other tasks: one row
    per group (combination or requested edit); with sources and ``originals``, the row shows
    source/edited pairs side by side."""
    gradual = "step" in samples and samples["step"].notna().any()
    has_sources = "source_id" in samples and samples["source_id"].notna().any()
    key = "source_id" if gradual else "group"
    rows, labels = [], []
    for name, group in list(samples.groupby(key, sort=True))[:n_rows]:
        if gradual or not (has_sources and originals):
            row = io.read_images(group["image_path"].head(n_cols), root)
            if gradual and originals is not None:
                row = np.concatenate([originals([str(name)]), row])
        else:
            group = group.head(n_cols // 2)
            edited = io.read_images(group["image_path"], root)
            source = originals([str(s) for s in group["source_id"]])
            row = np.stack([source, edited], axis=1).reshape(-1, *edited.shape[1:])
        rows.append(row)
        labels.append(str(name)[:14])
    return image_grid(rows, labels, path)


def history_plot(history: pd.DataFrame, columns: Sequence[str], path: str | Path, title: str):
    """Line plot of per-epoch ``columns`` of a training history (matplotlib, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.2), dpi=100)
    for c in columns:
        ax.plot(history["epoch"], history[c], marker="o", ms=3, label=c)
    ax.set(xlabel="epoch", title=title)
    ax.legend()
    return _save(fig, path)


def sweep_plot(table: pd.DataFrame, path: str | Path, title: str = "generation") -> Path:
    """Attribute F1 against FID, one line per method through its temperatures (labelled), from
    a :func:`plugen.evaluate.sweep.generation_sweep` table (matplotlib, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.8), dpi=100)
    for method, rows in table.groupby("method", sort=False):
        rows = rows.sort_values("temperature")
        ax.plot(rows["fid"], rows["f1"], marker="o", ms=4, label=method)
        for _, r in rows.iterrows():
            ax.annotate(
                f"{r['temperature']:g}",
                (r["fid"], r["f1"]),
                fontsize=7,
                xytext=(3, 3),
                textcoords="offset points",
            )
    ax.set(
        xlabel="FID of generated images (lower is better)",
        ylabel="attribute F1 (higher is better)",
        title=f"{title}: temperature sweep",
    )
    ax.legend(fontsize=8)
    return _save(fig, path)


def _save(fig, path: str | Path) -> Path:
    """Lay out ``fig``, write it to ``path`` (folders made) and close it."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


# the three orthographic views of render_clouds: (horizontal axis, vertical axis, depth axis)
CLOUD_VIEWS = ((0, 2, 1), (1, 2, 0), (0, 1, 2))  # front (x-z), side (y-z), top (x-y)


def render_clouds(clouds: np.ndarray, size: int = 64, extent: float = 1.05) -> np.ndarray:
    """Point clouds ``(n, P, 3)`` -> uint8 images ``(n, size, 3 * size, 3)``: three orthographic
    views side by side (front x-z, side y-z, top x-y; up is +z), points within ``[-extent,
    extent]`` drawn as 2x2 dots shaded by depth (near dark blue, far light), on white.
    Deterministic; points outside the extent are clipped to the border."""
    clouds = np.asarray(clouds, dtype=np.float64)
    if clouds.ndim != 3 or clouds.shape[-1] != 3:
        raise ValueError(f"render_clouds: clouds have shape {clouds.shape}, expected (n, P, 3)")
    n, p, _ = clouds.shape
    out = np.full((n, size, 3 * size, 3), 255, dtype=np.uint8)
    near, far = np.array([20.0, 40.0, 120.0]), np.array([170.0, 190.0, 235.0])
    rows = np.repeat(np.arange(n), p)
    for v, (h, up, depth) in enumerate(CLOUD_VIEWS):
        scale = (size - 2) / (2 * extent)
        px = np.clip(((clouds[..., h] + extent) * scale).astype(int), 0, size - 2).ravel()
        py = np.clip(((extent - clouds[..., up]) * scale).astype(int), 0, size - 2).ravel()
        # nearness in [0, 1]: 1 nearest the viewer (the +depth side), 0 farthest
        closeness = np.clip((clouds[..., depth].ravel() + extent) / (2 * extent), 0, 1)
        buffer = np.full((n, size, size), -1.0)
        for dy, dx in ((0, 0), (0, 1), (1, 0), (1, 1)):
            np.maximum.at(buffer, (rows, py + dy, px + dx), closeness)
        hit = buffer >= 0
        colour = (far + (near - far) * buffer[..., None]).round().astype(np.uint8)
        view = out[:, :, v * size : (v + 1) * size]
        view[hit] = colour[hit]
    return out


def masked_view(images: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """uint8 images ``(n, H, W, 3)`` with the hidden part (``keep`` ``(n, 1, H, W)``, 0 =
    hidden) drawn mid-grey: what an inpainting method is shown."""
    m = np.asarray(keep).transpose(0, 2, 3, 1)
    return (images * m + 128 * (1 - m)).astype(np.uint8)


def inpaint_strips(
    folder: str | Path,
    rows: pd.DataFrame,
    keep: np.ndarray,
    truth: np.ndarray,
    fills: Mapping[str, tuple[pd.DataFrame, np.ndarray]],
    n_sources: int = 6,
    max_k: int = 4,
) -> list[Path]:
    """One strip per (mask, request) of the inpaint task in ``folder``: per source image a row
    ``observed | each method's fillings (up to max_k) | truth``; the hidden part of the
    observation is drawn mid-grey. rows/keep: the task's plan (``(m, 1, H, W)``); truth: uint8
    ``(n, H, W, 3)``; fills: method -> (its table, uint8 fillings aligned with it)."""
    paths = []
    for (mask, request), group in rows.groupby(["mask", "request"], sort=False):
        if mask == "full":
            continue
        lines, labels = [], []
        for i in group.index[:n_sources]:
            src = int(rows.at[i, "source_index"])
            line = [masked_view(truth[src : src + 1], keep[i : i + 1])[0]]
            for table, images in fills.values():
                sel = (
                    (table["source_index"] == src)
                    & (table["mask"] == mask)
                    & (table["request"] == request)
                    & (table["k"] < max_k)
                ).to_numpy()
                line.extend(images[sel])
            line.append(truth[src])
            lines.append(np.stack(line))
            labels.append(str(rows.at[i, "source_id"]))
        name = f"inpaint_{mask}" + (f"_{request}" if request else "")
        paths.append(image_grid(lines, labels, Path(folder) / f"{name}.png"))
    (Path(folder) / "methods.txt").write_text(
        "columns: observed | " + " | ".join(fills) + " | truth\n"
    )
    return paths
