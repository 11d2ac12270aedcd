"""How PluGeN and each rival stopped training, how long it took (the rules' benchmarks), and
how long an edit takes per image: PluGeN and the latent rivals edit the same test latents in
this one job, one method after the other, at batch 1 and 256 (image rivals: not measured)."""

import numpy as np

from plugen import PluGeN, io, posterior, summary, tasks
from plugen.baselines import LatentEditor, load_baseline
from plugen.experiments import IMAGE_RIVALS
from plugen.runtime import benchmark_seconds, setup_job


class LabelledEdits:
    """A rival's ``manipulate`` given the sources' labels ``(m, k)``, repeated to each batch."""

    def __init__(self, model: LatentEditor, labels: np.ndarray) -> None:
        self.model, self.labels = model, labels

    def manipulate(self, z: np.ndarray, values: dict) -> np.ndarray:
        labels = np.resize(self.labels, (len(z), self.labels.shape[1]))
        return self.model.manipulate(z, values, source_labels=labels)


sm = snakemake  # noqa: F821
log, device = setup_job(sm)
methods = list(sm.params.methods)
histories = {m: io.read_table(p, io.HISTORY)[0] for m, p in zip(methods, sm.input.histories)}
seconds = {m: benchmark_seconds(p) for m, p in zip(methods, sm.params.benchmarks)}
df, z, z_std = io.read_latents(sm.input.latents)
sampled = posterior.training_spread(z_std, sm.params.posterior) is not None
trained_on = summary.trained_on(methods, IMAGE_RIVALS, sampled)
test = (df["split"] == "test").to_numpy()
sources, z = df[test].reset_index(drop=True)[:256], z[test][:256]
latency = {}
for method, path in zip(methods, sm.input.models):
    if method == "plugen":
        editor = PluGeN.load(path, device)
    else:
        model = load_baseline(path, device)
        if not isinstance(model, LatentEditor):
            continue
        labels = tasks.source_labels(sources, model.attributes)
        editor = LabelledEdits(model, np.stack([labels[i] for i in sources["id"]]))
    attribute = (editor if method == "plugen" else editor.model).attributes[0]
    per_batch = tasks.manipulation_latency(editor, z, {attribute: 1.0})
    latency[method] = dict(zip(per_batch["batch_size"], per_batch["flow_ms_per_image"]))
caps = dict(zip(methods, sm.params.caps))
table = summary.training_report(histories, caps, seconds, latency, trained_on)
io.write_table(sm.output.metrics, table, io.METRICS)
log.info("training and edit latency (%s, %d threads):\n%s", device, sm.threads, table.to_string())
