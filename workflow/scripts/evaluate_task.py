"""Turn a task's requests and classifier scores into its metrics table."""

from plugen import io, tasks
from plugen.data.shapes import BINARY
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, _ = setup_job(sm, uses_torch=False)
task = sm.wildcards.task
requests, _ = io.read_table(sm.input.samples, io.SAMPLES)
scores, _ = io.read_table(sm.input.scores, io.SCORES)
sources, _ = io.read_table(sm.input.sources, io.LATENTS)
if task == "generation":
    table = tasks.score_generation(requests, scores, BINARY)
elif task == "manipulation":
    table = tasks.score_manipulation(requests, scores, sources, BINARY, sm.params.heldout)
elif task in ("flip", "flip_real"):
    table = tasks.score_flips(requests, scores, sources, BINARY)
else:
    table = tasks.score_gradual(requests, scores, sm.params.tasks["gradual"]["attribute"])
io.write_table(sm.output.metrics, table, io.METRICS)
log.info("%s metrics:\n%s", task, table.to_string())
