"""Counterfactuals of the first test inputs by one method (PluGeN's attribute search or the
latent-gradient baseline), judged by the external judge; images beside the table. A decision
model that reads latents (no decoder param) gives no images, and the images folder stays empty."""

from pathlib import Path

from plugen import io
from plugen.evaluate.judge import load_judge
from plugen.explain.decision import Decision
from plugen.explain.load import load_decision_model, tensor_decoder
from plugen.explain.task import run_method
from plugen.model import PluGeN
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, device = setup_job(sm)
settings = sm.params.settings
latents, z = io.read_table(sm.input.latents, io.LATENTS)
test = (latents["split"] == "test").to_numpy()
latents, z = latents[test].head(settings["n_inputs"]), z[test][: settings["n_inputs"]]
if not len(latents):
    raise ValueError(f"{sm.input.latents}: no test rows to explain")
plugin = PluGeN.load(sm.input.plugin, device=device, expected_latent_dim=z.shape[1])
decode, image_range = None, (0.0, 1.0)
if sm.params.decoder is not None:
    decode, image_range = tensor_decoder(sm.params.decoder, device)
model = load_decision_model(sm.params.model, device)
decision = Decision(model, decode, image_range, device=device, name=sm.params.model["path"])
judge = load_judge(sm.params.judge, sm.params.kinds, device) if sm.params.judge else None
frame, z_cf, images = run_method(
    sm.wildcards.method,
    plugin,
    decision,
    z,
    latents["id"].tolist(),
    settings,
    judge,
    sm.params.kinds,
)
Path(sm.output.images).mkdir(parents=True, exist_ok=True)
if images is not None:
    frame["image_path"] = io.write_images(images, sm.output.images, frame["source_id"])
io.write_table(sm.output.table, frame, io.COUNTERFACTUALS, z=z_cf)
log.info(
    "%s: %d inputs, %d flipped, mean changed %.2f (%s)",
    sm.wildcards.method,
    len(frame),
    int(frame["flipped"].sum()),
    frame.loc[frame["flipped"], "n_changed"].mean(),
    Path(sm.output.table).name,
)
