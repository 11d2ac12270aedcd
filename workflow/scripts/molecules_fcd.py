"""FCD of each generated group vs held-out test molecules (val molecules as the floor)."""

from plugen import io
from plugen.experiments.molecules.tasks import fcd_table
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, _ = setup_job(sm)
samples, _ = io.read_table(sm.input.samples, io.SAMPLES)
data, _ = io.read_table(sm.input.table, io.DATASET)
n, seed = sm.params.cfg["n_reference"], sm.params.seed
test = data.loc[data["split"] == "test", "smiles"]
val = data.loc[data["split"] == "val", "smiles"]
n_group = int(samples.groupby("group").size().max())
reference = test.sample(min(n, len(test)), random_state=seed).tolist()
baseline = val.sample(min(n_group, len(val)), random_state=seed).tolist()
table = fcd_table(samples, reference, baseline)
log.info("FCD:\n%s", table.to_string())
io.write_table(sm.output.metrics, table, io.METRICS)
