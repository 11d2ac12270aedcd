"""Image grids of every task's samples, edited images beside their sources."""

from pathlib import Path

import numpy as np

from plugen import io
from plugen.backbones import image_decoder
from plugen.plots import task_figure
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, device = setup_job(sm)
paths, root = {}, None
if sm.input.dataset:  # real images of the experiment's data set, when it has one
    data, _ = io.read_table(sm.input.dataset, io.DATASET)
    paths, root = dict(zip(data["id"], data["image_path"])), Path(sm.input.dataset).parent
latents, z = io.read_table(sm.input.latents, io.LATENTS)
rows = dict(zip(latents["id"], range(len(latents))))
decode = image_decoder(sm.params.decoder, device)


def originals(ids):
    """Real images from the data set; sources without one (sampled, user latents) decoded."""
    if all(i in paths for i in ids):
        return io.read_images([paths[i] for i in ids], root)
    return decode(z[np.array([rows[i] for i in ids])])


for path in sm.input.samples:
    df, _ = io.read_table(path, io.SAMPLES)
    out = Path(sm.output.figures) / f"{Path(path).stem}.png"
    task_figure(df, Path(path).parent, out, originals)
    log.info("figure %s (%d samples)", out, len(df))
