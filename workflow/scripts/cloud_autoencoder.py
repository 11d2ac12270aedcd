"""Train the PointNet autoencoder on the train clouds (Chamfer loss; val for early stopping).
The training state is kept beside the model (``<model>.resume``) so a killed job resumes."""

from pathlib import Path

from plugen import io
from plugen.backbones.pointnet import fit_autoencoder
from plugen.runtime import setup_job
from plugen.train import History, TrainConfig

sm = snakemake  # noqa: F821
resume = Path(f"{sm.output.model}.resume")
log, device = setup_job(sm)
df, _ = io.read_table(sm.input.table, io.DATASET)
root = Path(sm.input.table).parent
clouds = {s: io.read_clouds(df.loc[df["split"] == s, "cloud_path"], root) for s in ("train", "val")}
c = sm.params.cfg
cfg = TrainConfig.from_section(c["train"], sm.params.seed, checkpoint=str(resume))
log.info("training the autoencoder on %d clouds", len(clouds["train"]))
ae, hist = fit_autoencoder(
    clouds["train"],
    cfg,
    {k: c[k] for k in ("latent_dim", "widths", "decoder_widths", "latent_noise")},
    device,
    val_clouds=clouds["val"],
    history=History("autoencoder", log),
    train_points=c["train_points"],
)
ae.save(sm.output.model)
io.write_table(sm.output.history, hist.to_frame(), io.HISTORY)
resume.unlink(missing_ok=True)
