"""Encode every molecule to its posterior mean; report reconstruction and prior validity."""

import pandas as pd

from plugen import io
from plugen.backbones.charvae import CharVAE, charvae_report
from plugen.runtime import setup

sm = snakemake  # noqa: F821
log, device = setup(sm.log[0], sm.threads, sm.params.device, getattr(sm.resources, "gpu", 0))
vae = CharVAE.load(sm.input.charvae, device)
df, _ = io.read_table(sm.input.table, io.DATASET)
z = vae.encode_smiles(df["smiles"].tolist())
io.write_table(sm.output.latents, df.drop(columns="smiles"), io.LATENTS, z)
test = df.loc[df["split"] == "test", "smiles"]
test = test.sample(min(sm.params.n_eval, len(test)), random_state=sm.params.seed).tolist()
row = charvae_report(vae, test, n_prior=sm.params.n_eval, seed=sm.params.seed)
row = {"representation": vae.config.representation, "n_heldout": len(test), **row}
log.info("CharVAE: %s", row)
io.write_table(sm.output.metrics, pd.DataFrame([row]), io.METRICS)
