"""Train one rival on PluGeN's training set: the same train/val rows and labels. A latent rival
fits the latents; an image rival (MSP, cVAE) fits the images those latents were encoded from."""

import time

import numpy as np
import pandas as pd

from plugen import io
from plugen.baselines import BASELINES
from plugen.baselines.image import dataset_images
from plugen.experiments import IMAGE_RIVALS
from plugen.labelling import training_labels
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, device = setup_job(sm)
method, kinds = sm.wildcards.method, dict(sm.params.kinds)
settings = {k: v for k, v in sm.params.cfg.items() if k != "train"}
df, z = io.read_table(sm.input.latents, io.LATENTS)
labels = df[list(kinds)].to_numpy(dtype=np.float32)
keep, y = training_labels(df["split"].to_numpy(), labels, sm.params.label_fraction, sm.params.seed)
if len(y) == 0:
    raise ValueError(f"{sm.input.latents}: no train/val rows to train {method} on")
if method in IMAGE_RIVALS:
    x = dataset_images(sm.input.dataset[0], df["id"][keep].tolist())
    model = BASELINES[method](x.shape[1], list(kinds), kinds, device=device, **settings)
    what = f"{x.shape[1]}x{x.shape[2]} images"
else:
    x = z[keep]
    model = BASELINES[method](z.shape[1], list(kinds), kinds, device=device, **settings)
    what = f"latents ({z.shape[1]}-d)"
unknown = 100 * np.isnan(y).mean()
log.info("%s on %d %s, %.1f%% of labels unknown", method, len(y), what, unknown)
start = time.perf_counter()
rows = model.fit(x, y, seed=sm.params.seed, logger=log, **sm.params.cfg.get("train", {}))
log.info("%s trained in %.1f s", method, time.perf_counter() - start)
model.save(sm.output.model)
if rows and "epoch" not in rows[0]:  # a closed-form fit (one row per attribute): one row
    flat = {f"{k}_{r['attribute']}": v for r in rows for k, v in r.items() if k != "attribute"}
    rows = [{"epoch": 1, **flat}]
io.write_table(sm.output.history, pd.DataFrame(rows), io.HISTORY)
