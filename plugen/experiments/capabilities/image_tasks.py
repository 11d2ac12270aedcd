"""Image tasks served by the shared rules: which run, which are judged and drawn, FID sets,
the generation sweep, held-out combinations and the latents each task edits."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from plugen.experiments.paths import Config


class ImageTasks:
    """Mixin of :class:`plugen.experiments.spec.Experiment` (see the module docstring)."""

    def tasks(self, config: Config) -> tuple[str, ...]:
        """Image tasks run through the shared rules (a subset of :data:`IMAGE_TASKS`)."""
        return ()

    def figure_tasks(self, config: Config) -> tuple[str, ...]:
        """Sample sets drawn in results/<name>/figures (tasks, or "inversion")."""
        return self.tasks(config)

    def fid_sets(self, config: Config) -> tuple[str, ...]:
        """Sample sets compared with real test images ("reconstruction": the VAE's)."""
        return ()

    def sweep_temperatures(self, config: Config) -> list[float]:
        """Temperatures of the generation sweep (``tasks.generation.sweep``): none unless the
        experiment's generated images are judged and scored by FID."""
        if "generation" not in self.judged_tasks(config) or "generation" not in self.fid_sets(
            config
        ):
            return []
        return list(config[self.name]["tasks"]["generation"].get("sweep", []))

    def heldout(self, config: Config) -> list[dict[str, float]]:
        """Attribute combinations never seen in PluGeN's training labels."""
        return []

    def judged_tasks(self, config: Config) -> tuple[str, ...]:
        """Tasks that get a metrics table: those whose images a judge scores."""
        if self.judge(config) is None or self.decoder(config) is None:
            return ()
        return tuple(
            t for t in self.tasks(config) if t != "gradual" or self._gradual_judged(config)
        )

    def _gradual_judged(self, config: Config) -> bool:
        from plugen.tasks import gradual_attribute

        cfg = config[self.name]["tasks"]["gradual"]
        return gradual_attribute(cfg, self.attributes(config)) in self.judged(config)

    def task_source(self, task: str) -> str:
        return self.task_sources.get(task, "latents.parquet")
