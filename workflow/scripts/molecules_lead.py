"""Lead optimization: raise one property's label coordinate of seed molecules step by step."""

from plugen import PluGeN, io
from plugen.experiments.molecules.charvae import CharVAE
from plugen.experiments.molecules.tasks import lead_optimization, pick_seeds
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, device = setup_job(sm)
c = sm.params.cfg
vae = CharVAE.load(sm.input.charvae, device)
model = PluGeN.load(sm.input.plugin, device, expected_latent_dim=vae.latent_dim)
data, _ = io.read_table(sm.input.table, io.DATASET)
seeds = pick_seeds(data, c["seeds"], c["n_seeds"], sm.params.seed)
table, z = lead_optimization(
    model,
    vae.decode_latents,
    seeds,
    vae.encode_smiles(seeds),
    c["attribute"],
    c["max_delta"],
    c["n_steps"],
)
samples = table[["sample_id", "source_id", "step", "smiles"]].astype({"step": "int32"})
io.write_table(sm.output.samples, samples, io.SAMPLES, z)
log.info("lead optimization:\n%s", table.drop(columns="sample_id").to_string())
io.write_table(sm.output.metrics, table.drop(columns="sample_id"), io.METRICS)
