"""The GAN backbone for people: prior samples and its training losses."""

from pathlib import Path

from plugen import io
from plugen.backbones.dcgan import DCGAN, backbone_latents, decode_latents
from plugen.plots import history_plot, image_grid
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, device = setup_job(sm)
gan = DCGAN.load(sm.input.gan, device)
images = decode_latents(gan, backbone_latents(gan, 80, sm.params.seed + 11))
out = Path(sm.output.figures)
image_grid(
    [images[i : i + 10] for i in range(0, 80, 10)], ["z~N(0,I)"] * 8, out / "gan_samples.png"
)
history, _ = io.read_table(sm.input.history, io.HISTORY)
history_plot(history, ["d_loss", "g_loss"], out / "gan_losses.png", "GAN training")
history_plot(history, ["real_score", "fake_score"], out / "gan_scores.png", "discriminator")
log.info("GAN figures in %s", out)
