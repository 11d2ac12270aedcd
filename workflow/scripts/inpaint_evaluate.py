"""The inpaint task's metrics (every method, mask and request) and its figure strips."""

import importlib
from pathlib import Path

import numpy as np
import pandas as pd

from plugen import io
from plugen.backbones.image_vae import images_to_tensor
from plugen.evaluate.fid import fid
from plugen.evaluate.judge import load_judge
from plugen.inverse.task import attribute_shown, metrics, plan, reference_psnr
from plugen.plots import inpaint_strips
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, device = setup_job(sm)
section = sm.params.section
df, _ = io.read_table(sm.input.table, io.DATASET)
sources = df[df["split"] == "test"].head(section["n_images"]).reset_index(drop=True)
truth_u8 = io.read_images(sources["image_path"], Path(sm.input.table).parent)


def as_float(images):
    return images_to_tensor(images).float().div(255).numpy()


truth = as_float(truth_u8)
rows, keep = plan(sources, sm.params.attributes, section, truth.shape[-1], sm.params.seed)
judge = load_judge(sm.params.judge, sm.params.kinds, device)
fids = {}  # FID in the judge's features (as rule fid), and Inception's when given
real = io.split_images(sm.input.table, "test")
if sm.params.judge["kind"] == "classifier":
    from plugen.evaluate.classifier import AttributeClassifier
    from plugen.evaluate.fid import ClassifierFeatures

    features = ClassifierFeatures(AttributeClassifier.load(sm.params.judge["path"], device))
    fids["fid"] = lambda images: fid(real, images, features)
if sm.params.inception:
    from plugen.evaluate.fid import InceptionFeatures

    inception = InceptionFeatures(sm.params.inception)
    fids["fid_inception"] = lambda images: fid(real, images, inception)
position = rows.set_index(["source_id", "mask", "request"]).index
loaded = {}
for method, path in zip(sm.params.methods, sm.input.fills, strict=True):
    table, _ = io.read_table(path, io.INPAINT)
    folder = Path(path).parent
    filled = io.read_images(table["image_path"], folder)
    decoded = (
        as_float(io.read_images(table["decoded_path"], folder))
        if ("decoded_path" in table)
        else None
    )
    where = position.get_indexer(table.set_index(["source_id", "mask", "request"]).index)
    loaded[method] = (table, filled, decoded, keep[where])
# which attributes each observation shows: where the image and its counterfactual (the
# attribute flipped, all else equal) differ in observed pixels
renderer, counterfactual = sm.params.counterfactuals, {}
if renderer:
    render = importlib.import_module(renderer["module"]).counterfactual_images
    for a in sm.params.binary:
        counterfactual[a] = as_float(render(renderer["settings"], a, len(sources)))


def shown(table: pd.DataFrame, kp: np.ndarray) -> dict[str, np.ndarray] | None:
    src = table["source_index"].to_numpy()
    return {a: attribute_shown(truth, cf, kp, src) for a, cf in counterfactual.items()} or None


# observed regions are compared with the plain reconstruction of the full image: the
# encoder's where there is one, else PluGeN's search on the unmasked image
ref = next((m for m in ("encoder", "plugen") if m in loaded), None)
reference = reference_psnr(rows, keep, loaded[ref][0], loaded[ref][2], truth) if ref else None
parts = [
    metrics(
        m,
        table,
        as_float(filled),
        decoded,
        truth,
        kp,
        judge(filled),
        sm.params.binary,
        sources,
        reference=reference,
        fids=fids,
        shown=shown(table, kp),
    )
    for m, (table, filled, decoded, kp) in loaded.items()
]
result = pd.concat(parts, ignore_index=True)
io.write_table(sm.output.metrics, result, io.METRICS)
inpaint_strips(
    sm.output.figures, rows, keep, truth_u8, {m: (v[0], v[1]) for m, v in loaded.items()}
)
log.info("inpainting of %d test images:\n%s", len(sources), result.to_string())
