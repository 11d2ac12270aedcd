"""Answer one task's requests with a rival, as sample.py does with PluGeN: the same requests
(same sources, config and seed), decoded by the same decoder; rivals that condition an edit on
the source's labels (cFlow, CNF) get the sources' label columns (tasks.source_labels)."""

from plugen import io, tasks
from plugen.backbones import image_decoder
from plugen.baselines import load_baseline
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, device = setup_job(sm)
task, seed = sm.wildcards.task, sm.params.seed
model = load_baseline(sm.input.plugin, device)
df, z = io.read_table(sm.input.sources, io.LATENTS)
if z.shape[1] != model.latent_dim:
    raise ValueError(
        f"{sm.input.sources}: latents are {z.shape[1]}-d, {sm.input.plugin} expects "
        f"{model.latent_dim}"
    )
test = (df["split"] == "test").to_numpy()
sources, source_z = df[test].reset_index(drop=True), dict(zip(df["id"][test], z[test]))
labels = tasks.source_labels(sources, model.attributes)
cfg = sm.params.tasks[task]
requests = tasks.build_requests(task, cfg, sources, model.kinds, seed)
zs = tasks.run_requests(model, requests, source_z, cfg.get("temperature", 1.0), seed, labels)
images = image_decoder(sm.params.decoder, device)(zs)
requests["image_path"] = io.write_images(images, sm.output.images, requests["sample_id"].tolist())
io.write_table(sm.output.table, requests, io.SAMPLES, zs)
groups = requests["group"].nunique()
log.info("%s %s: %d samples in %d groups", model.method, task, len(requests), groups)
