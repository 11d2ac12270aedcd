"""Train the conv VAE backbone on the unlabelled pretrain split (val for early stopping).

The training state is kept beside the model (``<model>.resume``, not a declared output, so a
killed job resumes from its last epoch) and deleted once the outputs are written.
"""

from pathlib import Path

from plugen import io
from plugen.backbones.image_vae import fit_vae
from plugen.runtime import setup_job
from plugen.train import History, TrainConfig

sm = snakemake  # noqa: F821
resume = Path(f"{sm.output.model}.resume")
log, device = setup_job(sm)
df, _ = io.read_table(sm.input.table, io.DATASET)
root = Path(sm.input.table).parent
train_split = "pretrain" if (df["split"] == "pretrain").any() else "train"
images = io.read_images(df.loc[df["split"] == train_split, "image_path"], root)
val_images = io.read_images(df.loc[df["split"] == "val", "image_path"], root)
c = sm.params.cfg
cfg = TrainConfig.from_section(c["train"], sm.params.seed, checkpoint=str(resume))
log.info("training the VAE on %d %s images", len(images), train_split)
vae, hist = fit_vae(
    images,
    cfg,
    {"latent_dim": c["latent_dim"], "beta": c["beta"], "widths": c["widths"]},
    device,
    val_images=val_images,
    history=History("vae", log),
)
vae.save(sm.output.model)
io.write_table(sm.output.history, hist.to_frame(), io.HISTORY)
resume.unlink(missing_ok=True)
