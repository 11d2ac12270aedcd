"""Encode every labelled image to its posterior (mean ``z`` and, for the VAE trained in the
DAG, standard deviation ``z_std``); log reconstruction quality.

The encoder is the VAE trained in the DAG or, when ``params.encoder`` is set, the user's
TorchScript encoder (images in its ``image_range`` -> ``(n, d)``, or a tuple whose first item
is the mean) with the matching TorchScript decoder of the experiment. With
``params.labels_per_image`` = k, each train/val row keeps k of its labels, drawn at random
(seeded), and the rest become unknown: the semi-supervised setting of the authors' CelebA code.
"""

from pathlib import Path

import pandas as pd

from plugen import io
from plugen.backbones import image_decoder
from plugen.backbones.image_vae import (
    ImageVAE,
    active_dims,
    encode_posterior,
    latent_kl,
    reconstruction_quality,
)
from plugen.evaluate.metrics import image_error
from plugen.labelling import keep_labels_per_image
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, device = setup_job(sm)
df, _ = io.read_table(sm.input.table, io.DATASET)
df = df[df["split"] != "pretrain"].reset_index(drop=True)
images = io.read_images(df["image_path"], Path(sm.input.table).parent)
is_test = (df["split"] == "test").to_numpy()
test = images[is_test]
if sm.params.encoder is None:
    vae = ImageVAE.load(sm.input.vae, device)
    z, z_std = encode_posterior(vae, images)
    quality = reconstruction_quality(vae, test)
    quality["active_dims"] = active_dims(latent_kl(vae, test))
else:
    from plugen.backbones.torchscript import ScriptedEncoder

    encoder = ScriptedEncoder(sm.input.vae, device, sm.params.encoder["image_range"])
    z, z_std = encoder(images), None
    quality = image_error(test, image_decoder(sm.params.decoder, device)(z[is_test]))
if sm.params.labels_per_image is not None:
    attributes = list(sm.params.kinds)
    df = keep_labels_per_image(df, attributes, sm.params.labels_per_image, sm.params.seed)
io.write_table(sm.output.latents, df.drop(columns="image_path"), io.LATENTS, z, z_std)
log.info("VAE on test images: %s", quality)
io.write_table(
    sm.output.metrics, pd.DataFrame([{k: float(v) for k, v in quality.items()}]), io.METRICS
)
