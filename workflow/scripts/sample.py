"""Answer one task's requests with PluGeN or a rival; decode them when the experiment has a
decoder. Rivals get the same requests (same sources, config and seed); those that condition an
edit on the source's labels (cFlow, CNF) get the sources' label columns (tasks.source_labels).
``params.task`` names a task run without a ``{task}`` wildcard: ``table2``, the paper's 20
requested pairs of CelebA values (plugen.data.celeba.table2_requests).
An image rival (MSP, cVAE) answers with its own images: it edits the test images the source
latents were encoded from, and its samples table has no latents."""

from pathlib import Path

from plugen import PluGeN, io, tasks
from plugen.backbones import image_decoder
from plugen.experiments import IMAGE_RIVALS
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, device = setup_job(sm)
task = getattr(sm.params, "task", None) or sm.wildcards.task
seed, method = sm.params.seed, sm.params.method
if method == "plugen":
    model = PluGeN.load(sm.input.plugin, device)
else:
    from plugen.baselines import load_baseline
    from plugen.baselines.image import FlatImageEditor, dataset_images

    model = load_baseline(sm.input.plugin, device)
df, z = io.read_table(sm.input.sources, io.LATENTS)
test = (df["split"] == "test").to_numpy()
sources = df[test].reset_index(drop=True)
if method in IMAGE_RIVALS:  # the editor's "latents" are the flattened test images
    model, source_z = FlatImageEditor(model), {}
    if task != "generation":
        ids = sources["id"].tolist()
        source_z = dict(zip(ids, model.flatten(dataset_images(sm.input.dataset[0], ids))))
elif z.shape[1] != model.latent_dim:
    raise ValueError(
        f"{sm.input.sources}: latents are {z.shape[1]}-d, {sm.input.plugin} expects "
        f"{model.latent_dim}"
    )
else:
    source_z = dict(zip(df["id"][test], z[test]))
labels = None if method == "plugen" else tasks.source_labels(sources, model.attributes)
cfg = sm.params.task_cfg
if task == "table2":
    from plugen.data.celeba import table2_requests

    requests = table2_requests(sources, model.attributes, cfg["n_per_combination"], seed)
else:
    requests = tasks.build_requests(task, cfg, sources, model.kinds, seed)
zs = tasks.run_requests(model, requests, source_z, cfg.get("temperature", 1.0), seed, labels)
names = requests["sample_id"].tolist()
if method in IMAGE_RIVALS:
    requests["image_path"] = io.write_images(model.images(zs), sm.output.images, names)
    zs = None
elif sm.params.decoder:
    images = image_decoder(sm.params.decoder, device)(zs)
    requests["image_path"] = io.write_images(images, sm.output.images, names)
else:  # latents only: an empty image folder keeps the rule's outputs the same
    Path(sm.output.images).mkdir(parents=True, exist_ok=True)
io.write_table(sm.output.table, requests, io.SAMPLES, zs)
log.info("%s %s: %d samples in %d groups", method, task, len(requests), requests["group"].nunique())
