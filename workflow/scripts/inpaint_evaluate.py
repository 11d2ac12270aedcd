"""The inpaint task's metrics (every method, mask and request) and its figure strips."""

import importlib
from pathlib import Path

from plugen import io
from plugen.backbones.image_vae import unit_images
from plugen.evaluate.fid import fid
from plugen.evaluate.judge import load_judge
from plugen.inverse.task import evaluate, plan
from plugen.plots import inpaint_strips
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, device = setup_job(sm)
section = sm.params.section
df, _ = io.read_table(sm.input.table, io.DATASET)
sources = df[df["split"] == "test"].head(section["n_images"]).reset_index(drop=True)
truth_u8 = io.read_images(sources["image_path"], Path(sm.input.table).parent)
truth = unit_images(truth_u8)
rows, keep = plan(sources, sm.params.attributes, section, truth.shape[-1], sm.params.seed)
backends = {}  # FID in the judge's features (as rule fid), and Inception's when given
if sm.params.judge["kind"] == "classifier":
    from plugen.evaluate.classifier import AttributeClassifier
    from plugen.evaluate.fid import ClassifierFeatures

    clf = AttributeClassifier.load(sm.params.judge["path"], device)
    backends["fid"] = ClassifierFeatures(clf)
if sm.params.inception:
    from plugen.evaluate.fid import InceptionFeatures

    backends["fid_inception"] = InceptionFeatures(sm.params.inception)
real = io.split_images(sm.input.table, "test") if backends else None
fids = {col: (lambda images, b=b: fid(real, images, b)) for col, b in backends.items()}
fills = {}
for method, path in zip(sm.params.methods, sm.input.fills, strict=True):
    table, _ = io.read_table(path, io.INPAINT)
    folder = Path(path).parent
    decoded = None
    if "decoded_path" in table:
        decoded = unit_images(io.read_images(table["decoded_path"], folder))
    fills[method] = (table, io.read_images(table["image_path"], folder), decoded)
counterfactuals = {}  # the sources re-rendered with each attribute flipped, where possible
if sm.params.counterfactuals:
    renderer = sm.params.counterfactuals
    render = importlib.import_module(renderer["module"]).counterfactual_images
    for a in sm.params.binary:
        counterfactuals[a] = unit_images(render(renderer["settings"], a, len(sources)))
judge = load_judge(sm.params.judge, sm.params.kinds, device)
result = evaluate(rows, keep, truth, fills, judge, sm.params.binary, sources, fids, counterfactuals)
io.write_table(sm.output.metrics, result, io.METRICS)
inpaint_strips(sm.output.figures, rows, keep, truth_u8, {m: v[:2] for m, v in fills.items()})
log.info("inpainting of %d test images:\n%s", len(sources), result.to_string())
