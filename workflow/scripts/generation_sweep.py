"""Generation at several temperatures for PluGeN and every rival that generates: the judge's
F1/AUC and the FID of the images per (method, temperature), and the trade-off figure."""

from pathlib import Path

from plugen import io, tasks
from plugen.backbones import image_decoder
from plugen.baselines.image import FlatImageEditor
from plugen.editors import load_editor
from plugen.evaluate.classifier import AttributeClassifier
from plugen.evaluate.fid import ClassifierFeatures, fid
from plugen.evaluate.judge import load_judge
from plugen.evaluate.sweep import generation_sweep
from plugen.plots import sweep_plot
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, device = setup_job(sm)
methods = sm.params.methods
editors = {m: load_editor(m, p, device) for m, p in zip(methods, sm.input.editors, strict=True)}
decode = image_decoder(sm.params.decoder, device)
to_images = {
    m: (e.images if isinstance(e, FlatImageEditor) else decode) for m, e in editors.items()
}
kinds = sm.params.kinds
requests = tasks.build_requests("generation", sm.params.task_cfg, None, kinds, sm.params.seed)
real = io.split_images(sm.input.real, "test")
features = ClassifierFeatures(AttributeClassifier.load(sm.input.features))
table = generation_sweep(
    editors,
    requests,
    sm.params.temperatures,
    to_images,
    load_judge(sm.params.judge, kinds, device),
    sm.params.binary,
    lambda images: fid(real, images, features),
    sm.params.seed,
    {"plugen": editors["plugen"].sigma_now} if "plugen" in editors else None,
)
io.write_table(sm.output.metrics, table, io.METRICS)
sweep_plot(table, Path(sm.output.figures, "generation_sweep.png"), sm.wildcards.exp)
log.info("generation sweep:\n%s", table.to_string())
