"""The counterfactual measures per method, the per-attribute table, and figure strips
(decoded input | counterfactual, labelled with the attributes changed; none when the decision
model reads latents). Faithfulness needs the attributes the decision really depends on: without
them (a user's model, no explain.depends_on) its columns give way to a ``faithfulness`` note."""

from pathlib import Path

from plugen import io
from plugen.backbones import image_decoder
from plugen.explain.measures import attribute_table
from plugen.explain.report import matched_fids, strip_figures, summary_table
from plugen.explain.task import plugin_nll
from plugen.model import PluGeN
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, device = setup_job(sm)
frames, outputs = {}, {}
for method, path in zip(sm.params.methods, sm.input.tables):
    frames[method], _ = io.read_table(path, io.COUNTERFACTUALS)
data, z_all = io.read_table(sm.input.latents, io.LATENTS)
rows = dict(zip(data["id"], range(len(data))))
z_in = z_all[[rows[i] for i in next(iter(frames.values()))["source_id"]]]
nll_inputs = float(plugin_nll(PluGeN.load(sm.input.plugin, device=device), z_in).mean())
inputs = image_decoder(sm.params.decoder, device)(z_in) if sm.params.decoder else None
if inputs is not None:
    for method, path in zip(sm.params.methods, sm.input.tables):
        outputs[method] = io.read_images(frames[method]["image_path"], Path(path).parent)

fids = {}
judge = sm.params.judge
if inputs is not None and judge and judge["kind"] == "classifier" and sm.input.dataset:
    real_table, _ = io.read_table(sm.input.dataset, io.DATASET)
    real_table = real_table[real_table["split"] == "test"].reset_index(drop=True)
    real = io.read_images(real_table["image_path"], Path(sm.input.dataset).parent)
    fids = matched_fids(inputs, outputs, judge["path"], real_table, real, device)

summary = summary_table(frames, sm.params.depends_on, nll_inputs, fids)
io.write_table(sm.output.summary, summary, io.METRICS)
table = attribute_table(frames, sm.params.attributes, sm.params.depends_on)
io.write_table(sm.output.attributes, table, io.METRICS)
log.info("counterfactuals:\n%s\n%s", summary.to_string(), table.to_string())
folder = Path(sm.output.figures)
folder.mkdir(parents=True, exist_ok=True)
if inputs is not None:
    strip_figures(inputs, frames, outputs, folder, sm.params.n_figure)
