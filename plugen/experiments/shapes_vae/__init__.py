"""shapes_vae: procedural images, a conv VAE trained in the DAG, PluGeN on its encoded latents,
tasks judged by the external shapes classifier (stand-in for the paper's CelebA VAE, Tables 2-3).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plugen.experiments.shapes import ShapesExperiment
from plugen.experiments.spec import Config, Decoder, register, results_path


class ShapesVAE(ShapesExperiment):
    backbone_key = "vae"

    def latent_width(self, config: Config) -> int:
        return config["shapes_vae"]["vae"]["latent_dim"]

    def conv_widths(self, config: Config) -> dict[str, list[int]]:
        return {"shapes_vae.vae.widths": config["shapes_vae"]["vae"]["widths"]}

    def check(self, config: Config) -> list[str]:
        problems = super().check(config)
        gradual = config["shapes_vae"]["tasks"]["gradual"]["attribute"]
        if gradual not in self.attributes(config):
            problems.append(
                f"shapes_vae.tasks.gradual.attribute: {gradual!r} is not a shapes attribute; "
                f"known: {list(self.attributes(config))}"
            )
        return problems

    def decoder(self, config: Config) -> Decoder:
        return Decoder("vae", results_path(self.name, "models", "vae.pt"))

    def vae_config(self, config: Config) -> Mapping[str, Any]:
        return config["shapes_vae"]["vae"]

    def vae_splits(self, config: Config) -> tuple[str, ...]:
        """The unlabelled pretrain split, val for early stopping."""
        return ("pretrain", "val")

    def tasks(self, config: Config) -> tuple[str, ...]:
        return ("generation", "manipulation", "gradual")

    def fid_sets(self, config: Config) -> tuple[str, ...]:
        return ("generation", "manipulation", "reconstruction")

    def summary_tables(self, config: Config) -> tuple[str, ...]:
        sweep = ("generation_sweep",) if self.sweep_temperatures(config) else ()
        tables = ("vae", *self.tasks(config), "fid", *self.rival_tables(config), *sweep)
        return (*tables, *self.inpaint_tables(config), *self.explain_tables(config))


SPEC = register(
    ShapesVAE(
        "shapes_vae",
        shared=("shapes",),
        paper_rivals={"manipulation": (2, ("Average Acc",)), "generation": (3, ())},
        rival_note="cFlow and CNF edit conditioned on the source's labels: the real factors of "
        "the test images (which the judge reads at >= 0.999 accuracy). MSP and cVAE are trained "
        "from scratch on the 32x32 images with their own conv autoencoder; MSP edits the real "
        "test images themselves, not their VAE reconstructions.",
    )
)
