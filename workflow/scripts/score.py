"""Judge a task's images (or point clouds) with the experiment's external judge."""

from pathlib import Path

from plugen import io
from plugen.evaluate.judge import judge_inputs, load_judge
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, device = setup_job(sm)
df, _ = io.read_table(sm.input.table, io.SAMPLES)
inputs = judge_inputs(sm.params.judge, df, Path(sm.input.table).parent)
preds = load_judge(sm.params.judge, sm.params.kinds, device)(inputs)
preds.insert(0, "sample_id", df["sample_id"].to_numpy())
io.write_table(sm.output.scores, preds, io.SCORES)
log.info("scored %d samples", len(preds))
