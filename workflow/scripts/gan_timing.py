"""Flow training time and per-image manipulation latency (for the baselines comparison)."""

from plugen import PluGeN, io
from plugen.backbones.dcgan import DCGAN, decode_latents
from plugen.runtime import benchmark_seconds, setup_job
from plugen.tasks import manipulation_latency

sm = snakemake  # noqa: F821
log, device = setup_job(sm)
model = PluGeN.load(sm.input.plugin, device)
gan = DCGAN.load(sm.input.gan, device)
df, z = io.read_table(sm.input.latents, io.LATENTS)
history, _ = io.read_table(sm.input.history, io.HISTORY)
attr = model.attributes[0]
table = manipulation_latency(model, z[:256], {attr: 1.0}, lambda zb: decode_latents(gan, zb))
# wall-clock training time from the flow rule's benchmark (results histories hold no timings)
table["flow_train_seconds"] = benchmark_seconds(sm.params.flow_benchmark)
table["flow_epochs"] = len(history)
table["device"] = str(device)
io.write_table(sm.output.metrics, table, io.METRICS)
log.info("timing (%s, %d threads):\n%s", device, sm.threads, table.to_string())
