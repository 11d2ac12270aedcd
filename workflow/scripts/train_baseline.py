"""Train one rival on PluGeN's training set: the same train/val rows and labels. A latent rival
fits the latents (posterior samples where PluGeN trains on them: ``params.posterior``); an image
rival (MSP, cVAE) fits the images those latents were encoded from."""

import time

import numpy as np
import pandas as pd

from plugen import io, posterior
from plugen.baselines import BASELINES
from plugen.baselines.image import dataset_images
from plugen.experiments import IMAGE_RIVALS
from plugen.labelling import training_labels
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, device = setup_job(sm)
method, kinds = sm.wildcards.method, dict(sm.params.kinds)
settings = {k: v for k, v in sm.params.cfg.items() if k != "train"}
df, z, z_std = io.read_latents(sm.input.latents)
labels = df[list(kinds)].to_numpy(dtype=np.float32)
keep, y = training_labels(df["split"].to_numpy(), labels, sm.params.label_fraction, sm.params.seed)
if len(y) == 0:
    raise ValueError(f"{sm.input.latents}: no train/val rows to train {method} on")
train = dict(sm.params.cfg.get("train", {}))
max_samples = train.pop("max_samples", None)
rows = np.flatnonzero(keep)  # PluGeN's train/val rows, in the order of y
if max_samples is not None and len(rows) > max_samples:  # a seeded subsample of them
    pick = np.sort(np.random.default_rng(sm.params.seed).choice(len(rows), max_samples, False))
    log.info("%s: %d of the %d train/val rows (max_samples)", method, max_samples, len(rows))
    rows, y = rows[pick], y[pick]
if method in IMAGE_RIVALS:
    x = dataset_images(sm.input.dataset[0], df["id"].to_numpy()[rows].tolist())
    model = BASELINES[method](x.shape[1], list(kinds), kinds, device=device, **settings)
    what = f"{x.shape[1]}x{x.shape[2]} images"
else:
    x = z[rows]
    spread = posterior.training_spread(z_std, sm.params.posterior)
    if spread is not None:
        train["z_std"] = spread[rows]
    model = BASELINES[method](z.shape[1], list(kinds), kinds, device=device, **settings)
    what = f"latents ({z.shape[1]}-d{', posterior samples' if 'z_std' in train else ''})"
unknown = 100 * np.isnan(y).mean()
log.info("%s on %d %s, %.1f%% of labels unknown", method, len(y), what, unknown)
start = time.perf_counter()
history = model.fit(x, y, seed=sm.params.seed, logger=log, **train)
log.info("%s trained in %.1f s", method, time.perf_counter() - start)
model.save(sm.output.model)
if history and "epoch" not in history[0]:  # a closed-form fit (one row per attribute): one row
    flat = {f"{k}_{r['attribute']}": v for r in history for k, v in r.items() if k != "attribute"}
    history = [{"epoch": 1, **flat}]
io.write_table(sm.output.history, pd.DataFrame(history), io.HISTORY)
