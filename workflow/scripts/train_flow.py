"""Train the PluGeN flow on the backbone latents and (optionally partly hidden) labels.

The training state is kept beside the model (``<model>.resume``, not a declared output, so a
killed job resumes from its last epoch) and deleted once the outputs are written.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from plugen import PluGeN, io, posterior
from plugen.labelling import training_labels
from plugen.model import flow_settings
from plugen.runtime import setup_job
from plugen.train import TrainConfig

sm = snakemake  # noqa: F821
resume = Path(f"{sm.output.model}.resume")
log, device = setup_job(sm)
df, z, z_std = io.read_latents(sm.input.latents)
c, t, kinds = sm.params.cfg, sm.params.cfg["train"], dict(sm.params.kinds)
labels = df[list(kinds)].to_numpy(np.float32)
keep, y = training_labels(df["split"].to_numpy(), labels, c["label_fraction"], sm.params.seed)
z_std = posterior.training_spread(z_std, c["posterior"])
z_std = None if z_std is None else z_std[keep]
source = "posterior samples" if z_std is not None else "latents"
unknown = 100 * np.isnan(y).mean()
log.info("training on %d %s, %.1f%% of labels unknown", keep.sum(), source, unknown)
model = PluGeN(z.shape[1], list(kinds), kinds, device=device, **flow_settings(c))
model.check_latents(z, sm.input.latents)  # a width mismatch names the file
train = TrainConfig.from_section(t, sm.params.seed, checkpoint=str(resume), progress=True)
validation = None
if sm.params.val_split:  # the user's own split decides the early stopping
    validation = df["split"].to_numpy()[keep] == "val"
    log.info("early stopping on the latents' val split (%d rows)", validation.sum())
model.fit(z[keep], y, z_std=z_std, validation=validation, train=train, logger=log)
model.save(sm.output.model)
io.write_table(sm.output.history, pd.DataFrame(model.history), io.HISTORY)
resume.unlink(missing_ok=True)
