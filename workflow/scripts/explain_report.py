"""The counterfactual measures per method, the per-attribute table, and figure strips
(decoded input | counterfactual, labelled with the attributes changed; none when the decision
model reads latents). Faithfulness needs the attributes the decision really depends on: without
them (a user's model, no explain.depends_on) its columns give way to a ``faithfulness`` note."""

from pathlib import Path

import numpy as np
import pandas as pd

from plugen import io
from plugen.backbones import image_decoder
from plugen.explain.measures import attribute_table, matched_reference, summary_row
from plugen.explain.task import plugin_nll
from plugen.model import PluGeN
from plugen.plots import image_grid
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, device = setup_job(sm)
frames, latents = {}, {}
for method, path in zip(sm.params.methods, sm.input.tables):
    frames[method], latents[method] = io.read_table(path, io.COUNTERFACTUALS)
data, z_all = io.read_table(sm.input.latents, io.LATENTS)
rows = dict(zip(data["id"], range(len(data))))
first = next(iter(frames.values()))
z_in = z_all[[rows[i] for i in first["source_id"]]]
plugin = PluGeN.load(sm.input.plugin, device=device)
nll_inputs = float(plugin_nll(plugin, z_in).mean())
inputs = image_decoder(sm.params.decoder, device)(z_in) if sm.params.decoder else None

fid = {}
judge = sm.params.judge
if inputs is not None and judge and judge["kind"] == "classifier" and sm.input.dataset:
    # FID against real test images of the same (judge-read) binary attributes: a counterfactual
    # set has another attribute mix than the test set, which plain FID would measure instead
    from plugen.evaluate.classifier import AttributeClassifier
    from plugen.evaluate.fid import ClassifierFeatures
    from plugen.evaluate.fid import fid as fid_of

    real_table, _ = io.read_table(sm.input.dataset, io.DATASET)
    real_table = real_table[real_table["split"] == "test"].reset_index(drop=True)
    real = io.read_images(real_table["image_path"], Path(sm.input.dataset).parent)
    clf = AttributeClassifier.load(judge["path"], device)
    binary = [a for a, k in clf.kinds.items() if k == "binary"]
    backend = ClassifierFeatures(clf)

    def matched_fid(images):
        read = clf.predict(images)[[f"pred_{a}" for a in binary]] > 0.5
        rows, match = matched_reference(read.set_axis(binary, axis=1), real_table[binary])
        return fid_of(real[match], images[rows], backend)

    fid["inputs"] = matched_fid(inputs)
    for method, path in zip(sm.params.methods, sm.input.tables):
        fid[method] = matched_fid(io.read_images(frames[method]["image_path"], Path(path).parent))

summary = pd.DataFrame(
    [
        {
            "method": method,
            **summary_row(frame, sm.params.depends_on, nll_inputs),
            "fid": fid.get(method, np.nan),
            "fid_inputs": fid.get("inputs", np.nan),
        }
        for method, frame in frames.items()
    ]
)
if sm.params.depends_on is None:
    summary = summary.drop(columns=["faithfulness", "judged_faithfulness"])
    summary["faithfulness"] = "not reported: the decision model's rule is unknown"
io.write_table(sm.output.summary, summary, io.METRICS)
table = attribute_table(frames, sm.params.attributes, sm.params.depends_on)
io.write_table(sm.output.attributes, table, io.METRICS)
log.info("counterfactuals:\n%s\n%s", summary.to_string(), table.to_string())

folder = Path(sm.output.figures)
folder.mkdir(parents=True, exist_ok=True)
for method, path in zip(sm.params.methods, sm.input.tables) if inputs is not None else ():
    frame = frames[method]
    shown = np.flatnonzero(frame["flipped"].to_numpy())[: sm.params.n_figure]
    if not len(shown):
        continue
    after = io.read_images(frame["image_path"].iloc[shown], Path(path).parent)
    strips = [np.stack([inputs[i], img]) for i, img in zip(shown, after)]
    labels = [", ".join(frame["changed"].iloc[i]) or "(none read)" for i in shown]
    image_grid(strips, labels, folder / f"counterfactuals_{method}.png")
