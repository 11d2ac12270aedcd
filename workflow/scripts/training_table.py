"""How PluGeN and each rival trained: on what data (posterior samples, latents or images), with
which model settings, until which epoch, to which validation loss (no wall-clock values: the
same config gives the same table; timings are in rivals_training)."""

import pandas as pd

from plugen import io, posterior, summary
from plugen.experiments import IMAGE_RIVALS
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, _ = setup_job(sm)
methods = list(sm.params.methods)
histories = {m: io.read_table(p, io.HISTORY)[0] for m, p in zip(methods, sm.input.histories)}
_, _, z_std = io.read_latents(sm.input.latents)
sampled = posterior.training_spread(z_std, sm.params.posterior) is not None
trained_on = summary.trained_on(methods, IMAGE_RIVALS, sampled)
caps = dict(zip(methods, sm.params.caps))
table = summary.training_report(histories, caps, trained_on=trained_on)
table.insert(2, "settings", [summary.model_settings(m, sm.params.settings[m]) for m in methods])
io.write_table(sm.output.metrics, pd.DataFrame(table), io.METRICS)
log.info("training:\n%s", table.to_string())
