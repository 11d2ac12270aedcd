"""Image grids of every task's samples, edited images beside their sources."""

from pathlib import Path

import numpy as np

from plugen import io
from plugen.backbones import image_decoder
from plugen.plots import task_figure
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, device = setup_job(sm)
data, _ = io.read_table(sm.input.dataset, io.DATASET)
paths = dict(zip(data["id"], data["image_path"]))
latents, z = io.read_table(sm.input.latents, io.LATENTS)
rows = dict(zip(latents["id"], range(len(latents))))
decode = image_decoder(sm.params.backbone, sm.input.backbone, device)


def originals(ids):
    """Real images from the dataset; sampled sources (GAN) decoded from their latents."""
    if all(i in paths for i in ids):
        return io.read_images([paths[i] for i in ids], Path(sm.input.dataset).parent)
    return decode(z[np.array([rows[i] for i in ids])])


for path in sm.input.samples:
    df, _ = io.read_table(path, io.SAMPLES)
    out = Path(sm.output.figures) / f"{Path(path).stem}.png"
    task_figure(df, Path(path).parent, out, originals)
    log.info("figure %s (%d samples)", out, len(df))
