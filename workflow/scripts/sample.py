"""Answer one task's requests with PluGeN or a rival; decode them when the experiment has a
decoder. Rivals get the same requests (same sources, config and seed); those that condition an
edit on the source's labels (cFlow, CNF) get the sources' label columns (tasks.source_labels).
``params.task`` names a task run without a ``{task}`` wildcard (an experiment's own task) and
``params.requests`` the module whose ``build_requests`` makes its requests.
An image rival (MSP, cVAE) answers with its own images: it edits the test images the source
latents were encoded from, and its samples table has no latents."""

import importlib
from pathlib import Path

from plugen import io, tasks
from plugen.backbones import write_decoded
from plugen.baselines.image import FlatImageEditor
from plugen.editors import load_editor, source_latents
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, device = setup_job(sm)
task = getattr(sm.params, "task", None) or sm.wildcards.task
seed, method, cfg = sm.params.seed, sm.params.method, sm.params.task_cfg
model = load_editor(method, sm.input.plugin, device)
df, z = io.read_table(sm.input.sources, io.LATENTS)
test = (df["split"] == "test").to_numpy()
sources = df[test].reset_index(drop=True)
source_z = {}
if task != "generation" or not isinstance(model, FlatImageEditor):  # checks the latent width
    dataset = next(iter(getattr(sm.input, "dataset", [])), None)  # image rivals only
    source_z = source_latents(model, sources, z[test], sm.input.sources, sm.input.plugin, dataset)
labels = None if method == "plugen" else tasks.source_labels(sources, model.attributes)
builder = getattr(sm.params, "requests", None)
build = importlib.import_module(builder).build_requests if builder else tasks.build_requests
requests = build(task, cfg, sources, model.kinds, seed)
zs = tasks.run_requests(model, requests, source_z, cfg.get("temperature", 1.0), seed, labels)
names = requests["sample_id"].tolist()
if isinstance(model, FlatImageEditor):
    requests["image_path"] = io.write_images(model.images(zs), sm.output.images, names)
    zs = None
elif sm.params.decoder:
    for column, paths in write_decoded(
        sm.params.decoder, zs, sm.output.images, names, device
    ).items():
        requests[column] = paths
else:  # latents only: an empty image folder keeps the rule's outputs the same
    Path(sm.output.images).mkdir(parents=True, exist_ok=True)
io.write_table(sm.output.table, requests, io.SAMPLES, zs)
log.info("%s %s: %d samples in %d groups", method, task, len(requests), requests["group"].nunique())
