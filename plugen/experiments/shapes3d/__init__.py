"""The point-cloud family and its stand-in, ``shapes3d``: procedural 3D point clouds
(superquadric solids and supertoroids), a PointNet autoencoder trained in the DAG, PluGeN on its
latents; generation, manipulation and gradual edits judged by a PointNet classifier, generated
sets scored with the point-cloud metrics (MMD, COV, 1-NNA under Chamfer distance and EMD).

:class:`PointCloudExperiment` is what every point-cloud experiment shares (real ShapeNet
clouds use it too); their config parts are the shared ``pointnet_*`` and ``cloud_*`` schemas.
Rules: ``workflow/rules/shapes3d.smk`` (generic over the point-cloud experiments, plus
shapes3d's own data set)."""

from __future__ import annotations

from plugen.experiments.spec import Config, Decoder, Experiment, Judge, register, results_path


class PointCloudExperiment(Experiment):
    """A data set of clouds rendered or read in the DAG (``results/<name>/data/``), a PointNet
    autoencoder and judge trained on it, the image tasks on its latents and the cloud metrics.
    """

    def decoder(self, config: Config) -> Decoder:
        return Decoder("pointnet", results_path(self.name, "models", "autoencoder.pt"))

    def judge(self, config: Config) -> Judge:
        return Judge("pointnet", results_path(self.name, "models", "judge.pt"))

    def judge_set(self, config: Config) -> str:
        """The table whose train rows the judge learns (default: the data set itself)."""
        return results_path(self.name, "data", "dataset.parquet")

    def analytic_reading(self, config: Config) -> str | None:
        """A module whose ``measure(clouds) -> DataFrame`` reads the attributes off a cloud
        analytically (shown beside the learned judge), or None."""
        return None

    def tasks(self, config: Config) -> tuple[str, ...]:
        return ("generation", "manipulation", "gradual")

    def summary_tables(self, config: Config) -> tuple[str, ...]:
        tasks = self.judged_tasks(config)
        return ("autoencoder", "judge", *tasks, "cloud_metrics", *self.rival_tables(config))

    def check(self, config: Config) -> list[str]:
        section, name = config[self.name], self.name
        attrs, binary = self.attributes(config), self.binary(config)
        problems = []
        d = section["autoencoder"]["latent_dim"]
        if d <= len(attrs):
            problems.append(
                f"{name}.autoencoder.latent_dim: {d} must exceed the {len(attrs)} attributes"
            )
        for i, combo in enumerate(self.heldout(config)):
            unknown = sorted(set(combo) - set(binary))
            if unknown:
                problems.append(
                    f"{name}.data.heldout.{i}: {unknown} are not binary {name} attributes; "
                    f"known: {binary}"
                )
        gradual = section["tasks"]["gradual"]["attribute"]
        if gradual is not None and attrs.get(gradual) != "continuous":
            known = [a for a, k in attrs.items() if k == "continuous"]
            problems.append(
                f"{name}.tasks.gradual.attribute: {gradual!r} is not a continuous {name} "
                f"attribute; known: {known}"
            )
        return problems


class Shapes3D(PointCloudExperiment):
    def attributes(self, config: Config) -> dict[str, str]:
        from plugen.experiments.shapes3d.data import ATTRIBUTES

        return dict(ATTRIBUTES)

    def heldout(self, config: Config) -> list[dict[str, float]]:
        return list(config[self.name]["data"]["heldout"])

    def judge_set(self, config: Config) -> str:
        """Its own fully crossed rendering (independent of the data set)."""
        return results_path(self.name, "data", "classifier_set.parquet")

    def analytic_reading(self, config: Config) -> str | None:
        return "plugen.experiments.shapes3d.data"

    def check(self, config: Config) -> list[str]:
        problems = super().check(config)
        section = config[self.name]
        n_ref, n_test = section["metrics"]["n_reference"], section["data"]["n_test"]
        if n_ref > n_test:
            problems.append(
                f"shapes3d.metrics.n_reference: {n_ref} exceeds the {n_test} test clouds "
                "(shapes3d.data.n_test)"
            )
        return problems


SPEC = register(
    Shapes3D(
        "shapes3d",
        payload="cloud",
        rival_note="Flow Plugin Network (Wielopolski et al. 2022), a conditional flow on a "
        "frozen point-cloud autoencoder's latent, is the cFlow rival here. cFlow edits "
        "conditioned on the source's labels (the real factors of the test clouds).",
    )
)
