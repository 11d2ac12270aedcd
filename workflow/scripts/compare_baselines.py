"""One task's comparison table: a row per method (PluGeN, then its rivals) from their metrics,
with the sampling temperature they all generated at (generation)."""

from plugen import io
from plugen.runtime import setup_job
from plugen.summary import compare_methods

sm = snakemake  # noqa: F821
log, _ = setup_job(sm, uses_torch=False)
tables = {m: io.read_table(p, io.METRICS)[0] for m, p in zip(sm.params.methods, sm.input.metrics)}
table = compare_methods(sm.wildcards.task, tables, sm.params.temperature)
io.write_table(sm.output.metrics, table, io.METRICS)
log.info("compare_%s:\n%s", sm.wildcards.task, table.to_string())
