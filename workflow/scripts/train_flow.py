"""Train the PluGeN flow on the backbone latents and (optionally partly hidden) labels.

The training state is kept beside the model (``<model>.resume``, not a declared output, so a
killed job resumes from its last epoch) and deleted once the outputs are written.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from plugen import PluGeN, io
from plugen.labelling import training_labels
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
resume = Path(f"{sm.output.model}.resume")
log, device = setup_job(sm)
df, z = io.read_table(sm.input.latents, io.LATENTS)
c, t, kinds = sm.params.cfg, sm.params.cfg["train"], dict(sm.params.kinds)
labels = df[list(kinds)].to_numpy(np.float32)
keep, y = training_labels(df["split"].to_numpy(), labels, c["label_fraction"], sm.params.seed)
log.info("training on %d latents, %.1f%% of labels unknown", keep.sum(), 100 * np.isnan(y).mean())
model = PluGeN(
    z.shape[1],
    list(kinds),
    kinds,
    n_couplings=c["n_couplings"],
    n_layers=c["n_layers"],
    hidden=c["hidden"],
    sigma=c["sigma"],
    sigma_decay=c["sigma_decay"],
    class_balanced=c["class_balanced"],
    device=device,
)
model.check_latents(z, sm.input.latents)  # a width mismatch names the file
model.fit(
    z[keep],
    y,
    epochs=t["epochs"],
    batch_size=t["batch_size"],
    lr=t["lr"],
    seed=sm.params.seed,
    val_fraction=t["val_fraction"],
    patience=t["patience"],
    lr_schedule=t["lr_schedule"],
    logger=log,
    progress=True,
    checkpoint=resume,
)
model.save(sm.output.model)
io.write_table(sm.output.history, pd.DataFrame(model.history), io.HISTORY)
resume.unlink(missing_ok=True)
