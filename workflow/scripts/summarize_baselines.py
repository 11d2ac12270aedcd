"""How PluGeN and each rival stopped training, and how long it took (the rules' benchmarks)."""

import pandas as pd

from plugen import io
from plugen.runtime import setup_job
from plugen.summary import training_report

sm = snakemake  # noqa: F821
log, _ = setup_job(sm, uses_torch=False)
methods = list(sm.params.methods)
histories = {m: io.read_table(p, io.HISTORY)[0] for m, p in zip(methods, sm.input.histories)}
seconds = {
    m: float(pd.read_csv(p, sep="\t")["s"].iloc[0]) for m, p in zip(methods, sm.input.benchmarks)
}
table = training_report(histories, dict(zip(methods, sm.params.caps)), seconds)
io.write_table(sm.output.metrics, table, io.METRICS)
log.info("training:\n%s", table.to_string())
