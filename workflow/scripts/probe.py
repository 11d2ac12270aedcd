"""How well the plugin's label coordinates read the labels of held-out latents."""

from plugen import PluGeN, io
from plugen.evaluate.probe import probe_split
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, device = setup_job(sm)
model = PluGeN.load(sm.input.plugin, device)
frame, z = io.read_table(sm.input.latents, io.LATENTS)
table = probe_split(model, frame, z, "test")
io.write_table(sm.output.metrics, table, io.METRICS)
log.info("label coordinates on test latents:\n%s", table.to_string())
