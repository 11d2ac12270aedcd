"""How PluGeN and each rival stopped training, and how long it took (the rules' benchmarks)."""

from plugen import io
from plugen.runtime import benchmark_seconds, setup_job
from plugen.summary import training_report

sm = snakemake  # noqa: F821
log, _ = setup_job(sm, uses_torch=False)
methods = list(sm.params.methods)
histories = {m: io.read_table(p, io.HISTORY)[0] for m, p in zip(methods, sm.input.histories)}
seconds = {m: benchmark_seconds(p) for m, p in zip(methods, sm.params.benchmarks)}
table = training_report(histories, dict(zip(methods, sm.params.caps)), seconds)
io.write_table(sm.output.metrics, table, io.METRICS)
log.info("training:\n%s", table.to_string())
