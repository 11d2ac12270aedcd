"""FID of each sample set, PluGeN's and the rivals' (and of VAE reconstructions), against the
real test images: one row per feature backend, method and set."""

from pathlib import Path

import pandas as pd

from plugen import io
from plugen.backbones.image_vae import ImageVAE, reconstruct
from plugen.evaluate.classifier import AttributeClassifier
from plugen.evaluate.fid import ClassifierFeatures, InceptionFeatures, fid
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, _ = setup_job(sm)
real = io.split_images(sm.input.table, "test")
sets = {}
for path, (method, task) in zip(sm.input.samples, sm.params.runs, strict=True):
    samples, _ = io.read_table(path, io.SAMPLES)
    sets[method, task] = io.read_images(samples["image_path"], Path(path).parent)
if sm.params.reconstruct:
    sets["plugen", "reconstruction"] = reconstruct(ImageVAE.load(sm.input.decoder[0]), real)
backends = [ClassifierFeatures(AttributeClassifier.load(sm.input.judge))]
if sm.params.inception:
    backends.append(InceptionFeatures(sm.params.inception))
rows = [
    {"features": b.name, "method": m, "images": name, "fid": fid(real, imgs, b), "n": len(imgs)}
    for b in backends
    for (m, name), imgs in sets.items()
]
table = pd.DataFrame(rows)
io.write_table(sm.output.metrics, table, io.METRICS)
log.info("FID vs %d real test images:\n%s", len(real), table.to_string())
