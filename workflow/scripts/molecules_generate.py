"""Generate molecules for each requested property value (one at a time) and unconditionally,
decoded by the run's backbone (the JT-VAE in a process pool); the decoding speed goes to the
decoding timing table."""

from plugen import PluGeN, io
from plugen.experiments.molecules.backbone import load_backbone, timing_frame
from plugen.experiments.molecules.tasks import generation_requests
from plugen.runtime import setup_job
from plugen.tasks import run_requests

sm = snakemake  # noqa: F821
log, device = setup_job(sm)
c = sm.params.cfg
backbone = load_backbone(sm.params.kind, sm.input.backbone, device, sm.threads)
model = PluGeN.load(sm.input.plugin, device, expected_latent_dim=backbone.latent_dim)
requests = generation_requests(c["targets"], c["n_per_target"], c["unconditional"])
z = run_requests(model, requests, None, c["temperature"], sm.params.seed)
requests["smiles"] = backbone.decode(z, what="generation")
io.write_table(sm.output.table, requests, io.SAMPLES, z)
io.write_table(sm.output.timing, timing_frame(backbone), io.METRICS)
log.info("%d molecules in %d groups", len(requests), requests["group"].nunique())
