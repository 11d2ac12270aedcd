"""Encode every molecule to its posterior (mean ``z``, spread ``z_std``); label it (data or
decoded molecule's properties); report reconstruction, prior validity and how well decodings keep
the properties."""

import numpy as np
import pandas as pd

from plugen import io
from plugen.experiments.molecules.charvae import CharVAE, charvae_report
from plugen.experiments.molecules.data import PROPERTIES
from plugen.experiments.molecules.tasks import decoded_labels
from plugen.runtime import setup

sm = snakemake  # noqa: F821
log, device = setup(sm.log[0], 1, sm.params.device, getattr(sm.resources, "gpu", 0))
vae = CharVAE.load(sm.input.charvae, device)
df, _ = io.read_table(sm.input.table, io.DATASET)
z, z_std = vae.posterior_smiles(df["smiles"].tolist())
dec = decoded_labels(vae.decode_latents, z, processes=sm.threads)
row = {"backbone": sm.params.backbone, "representation": vae.config.representation}
row["labels"] = sm.params.labels
row["decoded_validity"] = float(dec["valid"].mean())
for p in PROPERTIES:
    ok = dec["valid"].to_numpy()
    row[f"decoded_corr_{p}"] = float(np.corrcoef(df[p][ok], dec[p][ok])[0, 1])
table = df.drop(columns="smiles")
if sm.params.labels == "decoded":
    table = table.rename(columns={p: f"data_{p}" for p in PROPERTIES})
    table[list(PROPERTIES)] = dec[list(PROPERTIES)].astype(np.float32).to_numpy()
io.write_table(sm.output.latents, table, io.LATENTS, z, z_std)
test = df.loc[df["split"] == "test", "smiles"]
test = test.sample(min(sm.params.n_eval, len(test)), random_state=sm.params.seed).tolist()
row.update(charvae_report(vae, test, n_prior=sm.params.n_eval, seed=sm.params.seed))
log.info("CharVAE: %s", row)
io.write_table(sm.output.metrics, pd.DataFrame([row]), io.METRICS)
