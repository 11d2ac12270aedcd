"""Encode every labelled image to its posterior mean; log reconstruction quality."""

from pathlib import Path

import pandas as pd

from plugen import io
from plugen.backbones.image_vae import (
    ImageVAE,
    active_dims,
    encode_images,
    latent_kl,
    reconstruction_quality,
)
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, device = setup_job(sm)
vae = ImageVAE.load(sm.input.vae, device)
df, _ = io.read_table(sm.input.table, io.DATASET)
df = df[df["split"] != "pretrain"].reset_index(drop=True)
images = io.read_images(df["image_path"], Path(sm.input.table).parent)
z = encode_images(vae, images)
io.write_table(sm.output.latents, df.drop(columns="image_path"), io.LATENTS, z)
test = images[(df["split"] == "test").to_numpy()]
quality = reconstruction_quality(vae, test)
quality["active_dims"] = active_dims(latent_kl(vae, test))
log.info("VAE on test images: %s", quality)
io.write_table(
    sm.output.metrics, pd.DataFrame([{k: float(v) for k, v in quality.items()}]), io.METRICS
)
