"""shapes_vae: procedural images, a conv VAE trained in the DAG, PluGeN on its encoded latents,
tasks judged by the external shapes classifier (stand-in for the paper's CelebA VAE, Tables 2-3).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from plugen.experiments import Config, Decoder, Experiment, Judge, register, results_path


class ShapesExperiment(Experiment):
    """Shared by the shapes experiments: the shapes attributes, held-out combinations and judge."""

    def attributes(self, config: Config) -> dict[str, str]:
        from plugen.data.shapes import ATTRIBUTES

        return dict(ATTRIBUTES)

    def judge(self, config: Config) -> Judge:
        return Judge("classifier", results_path("shapes", "models", "classifier.pt"))

    def heldout(self, config: Config) -> list[dict[str, float]]:
        return list(config["shapes"]["data"]["heldout"])

    def data_section(self, config: Config) -> str:
        """The shared rendering, ``results/shapes/data/``."""
        return "shapes"

    def n_images(self, config: Config, splits: Sequence[str]) -> int:
        """The configured counts ``shapes.data.n_<split>``."""
        return sum(config["shapes"]["data"][f"n_{s}"] for s in splits)

    def inception_path(self, config: Config) -> str | None:
        return config["shapes"]["fid"]["inception_path"]

    def rule_images(self, config: Config) -> str:
        return results_path("shapes", "data", "classifier_set.parquet")

    def latent_width(self, config: Config) -> int:
        raise NotImplementedError

    def decision_input(self, config: Config, n: int = 2) -> Any:
        import torch

        if self.decision_model(config)["input"] == "latent":
            return torch.zeros(n, self.latent_width(config))
        size = config["shapes"]["data"]["size"]
        return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(0))

    def conv_widths(self, config: Config) -> dict[str, list[int]]:
        """Config key -> widths of the backbone's stride-2 conv stacks."""
        raise NotImplementedError

    def check(self, config: Config) -> list[str]:
        shapes = config["shapes"]
        k, d, size = len(self.attributes(config)), self.latent_width(config), shapes["data"]["size"]
        key = "vae" if self.name == "shapes_vae" else "gan"
        problems = []
        if d <= k:
            problems.append(
                f"{self.name}.{key}.latent_dim: {d} must exceed the {k} attributes PluGeN models"
            )
        widths = {"shapes.classifier.widths": shapes["classifier"]["widths"]}
        for name, w in {**widths, **self.conv_widths(config)}.items():
            if size % 2 ** len(w):
                problems.append(
                    f"{name}: {len(w)} stride-2 layers need an image size divisible by "
                    f"{2 ** len(w)}, and shapes.data.size is {size}"
                )
        binary = self.binary(config)
        for i, combo in enumerate(self.heldout(config)):
            unknown = sorted(set(combo) - set(binary))
            if unknown:
                problems.append(
                    f"shapes.data.heldout.{i}: {unknown} are not binary shapes attributes; "
                    f"known: {binary}"
                )
        return problems


class ShapesVAE(ShapesExperiment):
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
        return (*tables, *self.explain_tables(config))


SPEC = register(
    ShapesVAE(
        "shapes_vae",
        shared=("shapes",),
        reference="shapes_vae",
        paper_rivals={"manipulation": (2, ("Average Acc",)), "generation": (3, ())},
        rival_note="cFlow and CNF edit conditioned on the source's labels: the real factors of "
        "the test images (which the judge reads at >= 0.999 accuracy). MSP and cVAE are trained "
        "from scratch on the 32x32 images with their own conv autoencoder; MSP edits the real "
        "test images themselves, not their VAE reconstructions.",
    )
)
