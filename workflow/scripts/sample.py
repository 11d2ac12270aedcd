"""Answer one task's requests with the plugin; decode them when the experiment has a decoder."""

from pathlib import Path

from plugen import PluGeN, io, tasks
from plugen.backbones import image_decoder
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, device = setup_job(sm)
task, seed = sm.wildcards.task, sm.params.seed
model = PluGeN.load(sm.input.plugin, device)
df, z = io.read_table(sm.input.sources, io.LATENTS)
model.check_latents(z, sm.input.sources)  # a width mismatch names the file
test = (df["split"] == "test").to_numpy()
sources, source_z = df[test].reset_index(drop=True), dict(zip(df["id"][test], z[test]))
cfg = sm.params.tasks[task]
requests = tasks.build_requests(task, cfg, sources, model.kinds, seed)
zs = tasks.run_requests(model, requests, source_z, cfg.get("temperature", 1.0), seed)
if sm.params.decoder:
    images = image_decoder(sm.params.decoder, device)(zs)
    names = requests["sample_id"].tolist()
    requests["image_path"] = io.write_images(images, sm.output.images, names)
else:  # latents only: an empty image folder keeps the rule's outputs the same
    Path(sm.output.images).mkdir(parents=True, exist_ok=True)
io.write_table(sm.output.table, requests, io.SAMPLES, zs)
log.info("%s: %d samples in %d groups", task, len(requests), requests["group"].nunique())
