"""The inpaint task (``<name>.inpaint``): whether it runs, its methods, tables and checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from plugen.experiments.paths import results_path

if TYPE_CHECKING:
    from plugen.experiments.paths import Config


class Inpainting:
    """Mixin of :class:`plugen.experiments.spec.Experiment` (see the module docstring)."""

    def inpaint(self, config: Config) -> Mapping[str, Any] | None:
        """The ``<name>.inpaint`` section when the task runs: enabled, on an image experiment
        with a decoder and a judge; else None."""
        section = config.get(self.name, {}).get("inpaint")
        ready = (
            self.decodes_images(config)
            and self.decoder(config) is not None
            and self.judge(config) is not None
        )
        return section if section and section["enabled"] and ready else None

    def inpaint_images(self, config: Config) -> str:
        """The dataset table whose test images are masked: the real ones, or, for an
        experiment without an image data set (``custom``), the decodes of its test latents
        (``results/<name>/inpaint_truth/``, rule ``inpaint_truth``)."""
        return self.real_images(config) or self.decoded_truth(config)

    def decoded_truth(self, config: Config) -> str:
        return results_path(self.name, "inpaint_truth", "dataset.parquet")

    def inpaint_methods(self, config: Config) -> list[str]:
        """The configured methods this experiment can run (``encoder`` needs the VAE)."""
        section = self.inpaint(config) or {}
        vae = self.decoder(config) is not None and self.decoder(config).kind == "vae"
        return [m for m in section.get("methods", []) if m != "encoder" or vae]

    def inpaint_counterfactuals(self, config: Config) -> dict[str, Any] | None:
        """How the evaluation renders a test image again with one attribute flipped (to tell
        which attributes an observation shows): ``{"module", "settings"}``, the module's
        ``counterfactual_images(settings, attribute, n)`` giving uint8 ``(n, H, W, 3)``; None
        when the experiment cannot (then requests and kept attributes count every image)."""
        return None

    def inpaint_tables(self, config: Config) -> tuple[str, ...]:
        return ("inpaint",) if self.inpaint(config) else ()

    def inpaint_problems(self, config: Config) -> list[str]:
        """Problems with ``<name>.inpaint``, one line each."""
        section = config.get(self.name, {}).get("inpaint")
        if not section or not section["enabled"]:
            return []
        key = f"{self.name}.inpaint"
        if not self.decodes_images(config):
            return [f"{key}.enabled: inpainting needs images; {self.name} decodes point clouds"]
        if self.inpaint(config) is None:
            return [
                f"{key}.enabled: the task needs a decoder and a judge, and {self.name} "
                "lacks one of them"
            ]
        problems = []
        binary = self.binary(config)
        for i, req in enumerate(section["requests"]):
            if req["mask"] not in section["masks"]:
                problems.append(
                    f"{key}.requests.{i}.mask: {req['mask']!r} is not a configured mask; "
                    f"known: {sorted(section['masks'])}"
                )
            if req["attribute"] not in binary:
                problems.append(
                    f"{key}.requests.{i}.attribute: {req['attribute']!r} is not a binary "
                    f"attribute of {self.name}; known: {binary}"
                )
        if "plugen" not in section["methods"] and section["requests"]:
            problems.append(f"{key}.requests: only the plugen method answers requests")
        if "full" in section["masks"]:
            problems.append(f"{key}.masks: 'full' is reserved (the unmasked reconstruction)")
        return problems
