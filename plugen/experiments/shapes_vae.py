"""shapes_vae: procedural images, a conv VAE trained in the DAG, PluGeN on its encoded latents,
tasks judged by the external shapes classifier (stand-in for the paper's CelebA VAE, Tables 2-3).
"""

from __future__ import annotations

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

    def real_images(self, config: Config) -> str:
        return results_path("shapes", "data", "dataset.parquet")

    def inception_path(self, config: Config) -> str | None:
        return config["shapes"]["fid"]["inception_path"]

    def latent_width(self, config: Config) -> int:
        raise NotImplementedError

    def check(self, config: Config) -> list[str]:
        k, d = len(self.attributes(config)), self.latent_width(config)
        if d <= k:
            key = "vae" if self.name == "shapes_vae" else "gan"
            return [
                f"config: {self.name}.{key}.latent_dim: {d} must exceed the {k} attributes "
                "PluGeN models"
            ]
        return []


class ShapesVAE(ShapesExperiment):
    def latent_width(self, config: Config) -> int:
        return config["shapes_vae"]["vae"]["latent_dim"]

    def decoder(self, config: Config) -> Decoder:
        return Decoder("vae", results_path(self.name, "models", "vae.pt"))

    def tasks(self, config: Config) -> tuple[str, ...]:
        return ("generation", "manipulation", "gradual")

    def fid_sets(self, config: Config) -> tuple[str, ...]:
        return ("generation", "reconstruction")

    def summary_tables(self, config: Config) -> tuple[str, ...]:
        return ("vae", *self.tasks(config), "fid")


SPEC = register(ShapesVAE("shapes_vae", shared=("shapes",), reference="shapes_vae"))
