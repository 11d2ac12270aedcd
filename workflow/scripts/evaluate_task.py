"""Turn a task's requests and judge scores into its metrics table."""

from plugen import io, tasks
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, _ = setup_job(sm, uses_torch=False)
task = sm.wildcards.task
requests, _ = io.read_table(sm.input.samples, io.SAMPLES)
scores, _ = io.read_table(sm.input.scores, io.SCORES)
sources, _ = io.read_table(sm.input.sources, io.LATENTS)
table = tasks.score_task(task, requests, scores, sources, sm.params.binary, sm.params.heldout)
io.write_table(sm.output.metrics, table, io.METRICS)
log.info("%s metrics:\n%s", task, table.to_string())
