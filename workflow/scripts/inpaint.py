"""Fill the inpaint task's masked test images with one method (plugen.inverse.task)."""

from pathlib import Path

import numpy as np
import torch

from plugen import io
from plugen.backbones import torch_decoder
from plugen.backbones.image_vae import tensor_to_images, unit_images
from plugen.inverse import SearchSettings
from plugen.inverse.task import SEARCHES, fill, plan, sample_ids
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, device = setup_job(sm)
section, method = sm.params.section, sm.wildcards.method
df, _ = io.read_table(sm.input.table, io.DATASET)
sources = df[df["split"] == "test"].head(section["n_images"]).reset_index(drop=True)
truth = torch.from_numpy(
    unit_images(io.read_images(sources["image_path"], Path(sm.input.table).parent))
)
rows, keep = plan(sources, sm.params.attributes, section, truth.shape[-1], sm.params.seed)
options = {}
if method != "harmonic":
    options["decoder"], options["latent_dim"] = torch_decoder(sm.params.decoder, device)
if method in SEARCHES:
    from plugen.model import PluGeN

    plugin = PluGeN.load(sm.input.plugin[0], device)
    options["latent_dim"] = options["latent_dim"] or plugin.latent_dim
    if method == "plugen":
        options["plugin"] = plugin
if method == "encoder":
    from plugen.backbones.image_vae import ImageVAE

    options["encoder"] = ImageVAE.load(sm.params.decoder["path"], device).eval().encode
settings = SearchSettings(**section["search"], seed=sm.params.seed)
table, z, filled, decoded = fill(
    method, rows, keep, truth.to(device), k=section["k"], settings=settings, logger=log, **options
)
table.insert(0, "sample_id", sample_ids(table))
names = table["sample_id"].tolist()
table["image_path"] = io.write_images(
    tensor_to_images(torch.from_numpy(filled)), sm.output.images, names
)
if decoded is not None:
    table["decoded_path"] = io.write_images(
        tensor_to_images(torch.from_numpy(decoded)),
        sm.output.images,
        [f"{n}_decoded" for n in names],
    )
io.write_table(sm.output.table, table, io.INPAINT, None if z is None else np.asarray(z))
log.info("%s: %d fillings of %d observations", method, len(table), len(rows))
