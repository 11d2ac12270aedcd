"""Judge a task's images with the experiment's external judge."""

from pathlib import Path

from plugen import io
from plugen.evaluate.judge import load_judge
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, device = setup_job(sm)
df, _ = io.read_table(sm.input.table, io.SAMPLES)
images = io.read_images(df["image_path"], Path(sm.input.table).parent)
preds = load_judge(sm.params.judge, sm.params.kinds, device)(images)
preds.insert(0, "sample_id", df["sample_id"].to_numpy())
io.write_table(sm.output.scores, preds, io.SCORES)
log.info("scored %d images", len(preds))
