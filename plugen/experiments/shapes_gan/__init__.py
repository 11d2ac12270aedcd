"""shapes_gan: the paper's StyleGAN protocol (Table 1) on shapes. A decoder-only DCGAN trained
in the DAG; sampled latents are decoded and labelled by the external classifier; real images are
edited through GAN inversion (``flip_real``)."""

from __future__ import annotations

from plugen.experiments.shapes import ShapesExperiment
from plugen.experiments.spec import Config, Decoder, register, results_path


class ShapesGAN(ShapesExperiment):
    backbone_key = "gan"

    def latent_width(self, config: Config) -> int:
        return config["shapes_gan"]["gan"]["latent_dim"]

    def conv_widths(self, config: Config) -> dict[str, list[int]]:
        gan = config["shapes_gan"]["gan"]
        return {f"shapes_gan.gan.{k}": gan[k] for k in ("g_widths", "d_widths")}

    def decoder(self, config: Config) -> Decoder:
        return Decoder("gan", results_path(self.name, "models", "gan.pt"))

    def tasks(self, config: Config) -> tuple[str, ...]:
        return ("generation", "flip", "flip_real")

    def figure_tasks(self, config: Config) -> tuple[str, ...]:
        return ("flip", "flip_real", "inversion", "generation")

    def timing_tables(self, config: Config) -> tuple[str, ...]:
        return ("timing", *super().timing_tables(config))

    def fid_sets(self, config: Config) -> tuple[str, ...]:
        return ("generation", "flip", "flip_real", "inversion")

    def summary_tables(self, config: Config) -> tuple[str, ...]:
        tables = ("flip", "flip_real", "generation", "inversion", "fid", "timing")
        rivals, inpaint = self.rival_tables(config), self.inpaint_tables(config)
        return (*tables, *rivals, *inpaint, *self.explain_tables(config))


SPEC = register(
    ShapesGAN(
        "shapes_gan",
        latents="sampled",
        shared=("shapes",),
        figure_dirs=("gan_figures",),
        task_sources={"flip_real": "inverted.parquet"},
        paper_rivals={"flip": (1, ())},
        rival_note="cFlow and CNF edit conditioned on the source's labels: the classifier's "
        "labels of the sampled images (flip), a label it was unsure of taken as its probability "
        "rounded; for inverted real images (flip_real) the classifier's labels of the "
        "reconstruction (the same labels preservation is scored against).",
    )
)
