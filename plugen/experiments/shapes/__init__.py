"""The shapes family: procedural images rendered once (``results/shapes/``: the data set, its
classifier set and the external classifier that judges both shapes experiments). This package
holds what the family shares: the data set (:mod:`.data`), the ``shapes`` config section
(``schema.json``), the judge's reference notes and the spec base :class:`ShapesExperiment`.
It registers no experiment itself."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from plugen.experiments.spec import Config, Experiment, Judge, results_path


class ShapesExperiment(Experiment):
    """Shared by the shapes experiments: the shapes attributes, held-out combinations and judge.
    ``backbone_key``: the experiment's config section of its backbone (``latent_dim`` lives there).
    """

    backbone_key = "backbone"

    def attributes(self, config: Config) -> dict[str, str]:
        from plugen.experiments.shapes.data import ATTRIBUTES

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

    def inpaint_counterfactuals(self, config: Config) -> dict[str, Any]:
        """The renderer itself: the test images again with one attribute flipped."""
        settings = {**config["shapes"]["data"], "seed": config["seed"]}
        return {"module": "plugen.experiments.shapes.data", "settings": settings}

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
        key = self.backbone_key
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
