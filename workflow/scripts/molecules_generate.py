"""Generate molecules for each requested property value (one at a time) and unconditionally."""

from plugen import PluGeN, io
from plugen.experiments.molecules.charvae import CharVAE
from plugen.experiments.molecules.tasks import generation_requests
from plugen.runtime import setup_job
from plugen.tasks import run_requests

sm = snakemake  # noqa: F821
log, device = setup_job(sm)
c = sm.params.cfg
vae = CharVAE.load(sm.input.charvae, device)
model = PluGeN.load(sm.input.plugin, device, expected_latent_dim=vae.latent_dim)
requests = generation_requests(c["targets"], c["n_per_target"], c["unconditional"])
z = run_requests(model, requests, None, c["temperature"], sm.params.seed)
requests["smiles"] = vae.decode_latents(z)
io.write_table(sm.output.table, requests, io.SAMPLES, z)
log.info("%d molecules in %d groups", len(requests), requests["group"].nunique())
