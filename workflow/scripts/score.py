"""Judge a task's images with the external classifier."""

from pathlib import Path

from plugen import io
from plugen.evaluate.classifier import AttributeClassifier
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, device = setup_job(sm)
df, _ = io.read_table(sm.input.table, io.SAMPLES)
images = io.read_images(df["image_path"], Path(sm.input.table).parent)
preds = AttributeClassifier.load(sm.input.classifier, device).predict(images)
preds.insert(0, "sample_id", df["sample_id"].to_numpy())
io.write_table(sm.output.scores, preds.astype({c: "float32" for c in preds.columns[1:]}), io.SCORES)
log.info("scored %d images", len(preds))
