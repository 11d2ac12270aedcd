"""csv -> canonical, RDKit-labelled molecules with splits, and the labeling report."""

from plugen import io
from plugen.data.molecules import prepare_molecules
from plugen.runtime import setup

sm = snakemake  # noqa: F821
log, _ = setup(sm.log[0], 1, uses_torch=False)
c = sm.params.cfg
df, report = prepare_molecules(
    sm.input.csv,
    limit=c["n_molecules"],
    max_length=c["max_length"],
    val_fraction=c["val_fraction"],
    test_fraction=c["test_fraction"],
    seed=sm.params.seed,
    processes=sm.threads,
    column=c["column"],
    progress=True,
)
log.info("labeling report: %s", report)
io.write_table(sm.output.table, df, io.DATASET)
io.write_table(sm.output.report, report.to_frame(), io.METRICS)
