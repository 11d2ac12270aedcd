"""Answer one task's requests with the plugin, decode with the backbone, save images + table."""

from plugen import PluGeN, io, tasks
from plugen.backbones import image_decoder
from plugen.data.shapes import ATTRIBUTES, BINARY
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, device = setup_job(sm)
task, cfg, seed = sm.wildcards.task, sm.params.tasks[sm.wildcards.task], sm.params.seed
model = PluGeN.load(sm.input.plugin, device)
decode = image_decoder(sm.params.backbone, sm.input.backbone, device)
df, z = io.read_table(sm.input.sources, io.LATENTS)
test = df["split"] == "test"
sources, source_z = df[test].reset_index(drop=True), dict(zip(df["id"][test], z[test.to_numpy()]))
attrs = list(ATTRIBUTES)
if task == "generation":
    requests = tasks.generation_requests(BINARY, attrs, cfg["n_per_combination"])
elif task == "manipulation":
    requests = tasks.manipulation_requests(sources, BINARY, attrs, cfg["n_per_pair"], seed)
elif task in ("flip", "flip_real"):
    requests = tasks.flip_requests(sources, BINARY, attrs, cfg["n_per_value"], seed)
else:
    requests = tasks.gradual_requests(
        sources, cfg["attribute"], attrs, cfg["values"], cfg["n_sources"]
    )
zs = tasks.run_requests(model, requests, source_z, cfg.get("temperature", 1.0), seed)
images = decode(zs)
requests["image_path"] = io.write_images(images, sm.output.images, requests["sample_id"].tolist())
io.write_table(sm.output.table, requests, io.SAMPLES, zs)
log.info("%s: %d samples in %d groups", task, len(requests), requests["group"].nunique())
