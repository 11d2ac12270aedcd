"""PluGeN and its rivals behind one loader, for the jobs that answer requests.

:func:`load_editor` reads PluGeN's or any rival's checkpoint. An image rival (MSP, cVAE) comes
wrapped in :class:`~plugen.baselines.image.FlatImageEditor`, whose "latents" are flattened
images, so :func:`plugen.tasks.run_requests` treats every method alike. :func:`source_latents`
gives each test source what the editor edits: its backbone latent, or its image.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch

from plugen.model import PluGeN

if TYPE_CHECKING:
    from plugen.tasks import Editor


def load_editor(method: str, path: str | Path, device: str | torch.device = "cpu") -> Editor:
    """PluGeN (``method == "plugen"``) or the rival whose checkpoint ``path`` is (its format
    marker names it); image rivals wrapped in ``FlatImageEditor``. Raises FileNotFoundError or
    ValueError naming the file."""
    if method == "plugen":
        return PluGeN.load(path, device)
    from plugen.baselines import ImageEditor, load_baseline
    from plugen.baselines.image import FlatImageEditor

    model = load_baseline(path, device)
    return FlatImageEditor(model) if isinstance(model, ImageEditor) else model


def source_latents(
    editor: Editor,
    sources: pd.DataFrame,
    z: np.ndarray,
    latents: str | Path,
    checkpoint: str | Path,
    dataset: str | Path | None = None,
) -> dict[str, np.ndarray]:
    """What ``editor`` (read from ``checkpoint``) edits for each source row (``id`` column),
    by id: the row's latent of ``z`` ``(n, d)`` (read from the table ``latents``) or, for an
    image rival, its image from the image ``dataset`` table, flattened. Raises ValueError when
    ``z`` is not the editor's dimension or an image rival has no ``dataset``."""
    from plugen.baselines.image import FlatImageEditor, dataset_images

    ids = sources["id"].tolist()
    if isinstance(editor, FlatImageEditor):
        if dataset is None:
            raise ValueError(f"{checkpoint}: an image rival edits images; no image dataset given")
        return dict(zip(ids, editor.flatten(dataset_images(dataset, ids))))
    if z.shape[1] != editor.latent_dim:
        raise ValueError(
            f"{latents}: latents are {z.shape[1]}-d, {checkpoint} expects {editor.latent_dim}"
        )
    return dict(zip(ids, z))
