"""Encode every labelled image to its posterior mean; log reconstruction quality.

The encoder is the VAE trained in the DAG or, when ``params.encoder`` is set, the user's
TorchScript encoder (images in its ``image_range`` -> ``(n, d)``, or a tuple whose first item
is the mean) with the matching TorchScript decoder of the experiment. With
``params.labels_per_image`` = k, each train/val row keeps k of its labels, drawn at random
(seeded), and the rest become unknown: the semi-supervised setting of the authors' CelebA code.
"""

from pathlib import Path

import pandas as pd

from plugen import experiments, io
from plugen.backbones import image_decoder
from plugen.backbones.image_vae import (
    ImageVAE,
    active_dims,
    encode_images,
    latent_kl,
    map_image_batches,
    reconstruction_quality,
)
from plugen.data.celeba import keep_labels_per_image
from plugen.evaluate.metrics import image_error
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, device = setup_job(sm)
df, _ = io.read_table(sm.input.table, io.DATASET)
df = df[df["split"] != "pretrain"].reset_index(drop=True)
images = io.read_images(df["image_path"], Path(sm.input.table).parent)
test = images[(df["split"] == "test").to_numpy()]
if sm.params.encoder is None:
    vae = ImageVAE.load(sm.input.vae, device)
    z = encode_images(vae, images)
    quality = reconstruction_quality(vae, test)
    quality["active_dims"] = active_dims(latent_kl(vae, test))
else:
    from plugen.backbones.torchscript import load_torchscript

    encoder = load_torchscript(sm.input.vae, "encoder", device)
    lo, hi = sm.params.encoder["image_range"]

    def encode(x):
        out = encoder(x * (hi - lo) + lo)
        return out[0] if isinstance(out, (tuple, list)) else out

    z = map_image_batches(encode, images, 256, device).reshape(len(images), -1)
    decoder = experiments.get(sm.wildcards.exp).decoder(sm.config).as_dict()
    quality = image_error(
        test, image_decoder(decoder, device)(z[(df["split"] == "test").to_numpy()])
    )
if sm.params.labels_per_image is not None:
    kinds = experiments.get(sm.wildcards.exp).attributes(sm.config)
    df = keep_labels_per_image(df, list(kinds), sm.params.labels_per_image, sm.params.seed)
io.write_table(sm.output.latents, df.drop(columns="image_path"), io.LATENTS, z)
log.info("VAE on test images: %s", quality)
io.write_table(
    sm.output.metrics, pd.DataFrame([{k: float(v) for k, v in quality.items()}]), io.METRICS
)
