"""Encode every molecule to its posterior (mean ``z``, spread ``z_std``); label it (data or
decoded molecule's properties); report the backbone's reconstruction, prior validity and how
well decodings keep the properties (the charvae or jtvae table)."""

import numpy as np
import pandas as pd

from plugen import io
from plugen.experiments.molecules.backbone import load_backbone
from plugen.experiments.molecules.data import PROPERTIES
from plugen.experiments.molecules.tasks import decoded_labels
from plugen.runtime import setup

sm = snakemake  # noqa: F821
log, device = setup(sm.log[0], 1, sm.params.device, getattr(sm.resources, "gpu", 0))
kind, labels = sm.params.kind, sm.params.labels
backbone = load_backbone(kind, sm.input.backbone, device, sm.threads)
df, _ = io.read_table(sm.input.table, io.DATASET)
z, z_std = backbone.posterior(df["smiles"].tolist())
row = {"backbone": sm.params.backbone}
if kind == "charvae":
    row["representation"] = backbone.vae.config.representation
row["labels"] = labels
table = df.drop(columns="smiles")
if kind == "charvae" or labels == "decoded":
    # every latent decoded: the CharVAE's validity and property agreement on the whole set
    dec = decoded_labels(backbone.decode, z, processes=sm.threads)
    row["decoded_validity"] = float(dec["valid"].mean())
    for p in PROPERTIES:
        ok = dec["valid"].to_numpy()
        row[f"decoded_corr_{p}"] = float(np.corrcoef(df[p][ok], dec[p][ok])[0, 1])
    if labels == "decoded":
        table = table.rename(columns={p: f"data_{p}" for p in PROPERTIES})
        table[list(PROPERTIES)] = dec[list(PROPERTIES)].astype(np.float32).to_numpy()
io.write_table(sm.output.latents, table, io.LATENTS, z, z_std)
test = df.loc[df["split"] == "test", "smiles"]
test = test.sample(min(sm.params.n_eval, len(test)), random_state=sm.params.seed).tolist()
if kind == "charvae":
    from plugen.experiments.molecules.charvae import charvae_report

    row.update(charvae_report(backbone.vae, test, n_prior=sm.params.n_eval, seed=sm.params.seed))
else:
    from plugen.experiments.molecules.jtvae import jtvae_report

    row["n_encoded"] = len(df)
    row.update(jtvae_report(backbone, test, n_prior=sm.params.n_eval, seed=sm.params.seed))
log.info("%s: %s", kind, row)
io.write_table(sm.output.metrics, pd.DataFrame([row]), io.METRICS)
