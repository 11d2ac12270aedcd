"""Encode every cloud with the PointNet autoencoder: the latents table PluGeN trains on (with the
autoencoder's latent noise as ``z_std`` when it was trained with some), and the autoencoder's
reconstruction Chamfer distance per split."""

from pathlib import Path

import pandas as pd

from plugen import io
from plugen.backbones.pointnet import (
    PointNetAE,
    encode_clouds,
    latent_spread,
    reconstruction_chamfer,
)
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, device = setup_job(sm)
df, _ = io.read_table(sm.input.table, io.DATASET)
clouds = io.read_clouds(df["cloud_path"], Path(sm.input.table).parent)
ae = PointNetAE.load(sm.input.model, device)
frame = df[["id", "split", *sm.params.kinds]]
z = encode_clouds(ae, clouds)
z_std = latent_spread(ae, z[(df["split"] == "train").to_numpy()], len(z))
io.write_table(sm.output.latents, frame, io.LATENTS, z, z_std=z_std)
rows = [
    {
        "split": s,
        "chamfer": reconstruction_chamfer(ae, clouds[(df["split"] == s).to_numpy()]),
        "n": int((df["split"] == s).sum()),
    }
    for s in ("train", "val", "test")
]
table = pd.DataFrame(rows)
io.write_table(sm.output.metrics, table, io.METRICS)
log.info("autoencoder reconstruction:\n%s", table.to_string())
