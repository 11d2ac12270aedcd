"""Invert real test images into the GAN's latent space; report reconstruction quality."""

from pathlib import Path

from plugen import io
from plugen.backbones.dcgan import DCGAN, decode_latents, invert_images
from plugen.evaluate.classifier import AttributeClassifier
from plugen.experiments.shapes.data import ATTRIBUTES
from plugen.labelling import inversion_report, inverted_table
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, device = setup_job(sm)
c = sm.params.cfg
df, _ = io.read_table(sm.input.table, io.DATASET)
test = df[df["split"] == "test"].head(c["n_images"]).reset_index(drop=True)
real = io.read_images(test["image_path"], Path(sm.input.table).parent)
gan = DCGAN.load(sm.input.gan, device)
clf = AttributeClassifier.load(sm.input.classifier, device)
options = {k: c[k] for k in ("steps", "lr", "restarts", "candidates")}
if c["feature_weight"] > 0:
    options.update(feature_fn=clf.body, feature_weight=c["feature_weight"])
result = invert_images(gan, real, seed=sm.params.seed, logger=log, **options)
z = result.z.numpy()
recon = decode_latents(gan, z)
pred = clf.predict(recon)
io.write_table(sm.output.latents, inverted_table(test, pred, ATTRIBUTES), io.LATENTS, z)
samples = test[["id"]].rename(columns={"id": "sample_id"})
samples = samples.assign(source_id=test["id"], group="reconstruction")
samples["image_path"] = io.write_images(recon, sm.output.images, samples["sample_id"].tolist())
io.write_table(sm.output.table, samples, io.SAMPLES, z)
report = inversion_report(real, recon, test, pred, ATTRIBUTES)
io.write_table(sm.output.metrics, report, io.METRICS)
log.info("inversion of %d real images:\n%s", len(real), report.to_string())
