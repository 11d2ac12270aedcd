"""Train the DCGAN backbone on the unlabelled pretrain split (never on labels).

The training state is kept beside the model (``<model>.resume``, not a declared output, so a
killed job resumes from its last epoch) and deleted once the outputs are written.
"""

from pathlib import Path

from plugen import io
from plugen.backbones.dcgan import GANConfig, fit_gan
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
resume = Path(f"{sm.output.model}.resume")
log, device = setup_job(sm)
df, _ = io.read_table(sm.input.table, io.DATASET)
split = "pretrain" if (df["split"] == "pretrain").any() else "train"
images = io.read_images(df.loc[df["split"] == split, "image_path"], Path(sm.input.table).parent)
cfg = GANConfig(**sm.params.cfg, image_size=images.shape[1], seed=sm.params.seed)
log.info("training the GAN on %d %s images: %s", len(images), split, cfg)
gan, hist = fit_gan(images, cfg, device, logger=log, checkpoint=resume)
gan.save(sm.output.model)
io.write_table(sm.output.history, hist.to_frame(), io.HISTORY)
resume.unlink(missing_ok=True)
