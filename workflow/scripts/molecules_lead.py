"""Lead optimization: raise one property's label coordinate of seed molecules step by step."""

from plugen import PluGeN, io
from plugen.experiments.molecules.backbone import load_backbone
from plugen.experiments.molecules.tasks import lead_optimization, pick_seeds
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, device = setup_job(sm)
c = sm.params.cfg
backbone = load_backbone(sm.params.kind, sm.input.backbone, device, sm.threads)
model = PluGeN.load(sm.input.plugin, device, expected_latent_dim=backbone.latent_dim)
data, _ = io.read_table(sm.input.table, io.DATASET)
seeds = pick_seeds(data, c["seeds"], c["n_seeds"], sm.params.seed)
table, z = lead_optimization(
    model,
    backbone.decode,
    seeds,
    backbone.encode(seeds),
    c["attribute"],
    c["max_delta"],
    c["n_steps"],
)
samples = table[["sample_id", "source_id", "step", "smiles"]].astype({"step": "int32"})
io.write_table(sm.output.samples, samples, io.SAMPLES, z)
log.info("lead optimization:\n%s", table.drop(columns="sample_id").to_string())
io.write_table(sm.output.metrics, table.drop(columns="sample_id"), io.METRICS)
