"""Rivals run beside PluGeN on the same latents: which, on which tasks, the comparison tables,
and the rivals an experiment cannot run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from plugen.experiments.paths import IMAGE_RIVALS, RIVAL_OPERATIONS, task_operation

if TYPE_CHECKING:
    from plugen.experiments.paths import Config


class Rivals:
    """Mixin of :class:`plugen.experiments.spec.Experiment` (see the module docstring)."""

    def rival_tables(self, config: Config) -> tuple[str, ...]:
        """The comparison tables (one per task a rival does) and the rivals' training table."""
        compared = tuple(f"compare_{t}" for t in self.compared_tasks(config))
        return (*compared, "rivals_training") if compared else ()

    def rivals(self, config: Config) -> tuple[str, ...]:
        """Baseline methods run beside PluGeN on the same latents (keys of
        :data:`RIVAL_OPERATIONS`), from ``<name>.baselines.methods`` (none for an experiment
        whose schema has no baselines section)."""
        section = config.get(self.name, {}).get("baselines")
        return tuple(section["methods"]) if section else ()

    def rival_tasks(self, config: Config, method: str) -> tuple[str, ...]:
        """The judged tasks ``method`` can do (a task whose operation it lacks is skipped)."""
        ops = RIVAL_OPERATIONS[method]
        return tuple(t for t in self.judged_tasks(config) if task_operation(t) in ops)

    def compared_tasks(self, config: Config) -> tuple[str, ...]:
        """Tasks with a comparison table ``metrics/compare_<task>``: those a rival does."""
        done = {t for m in self.rivals(config) for t in self.rival_tasks(config, m)}
        return tuple(t for t in self.judged_tasks(config) if t in done)

    def compared_methods(self, config: Config, task: str) -> tuple[str, ...]:
        """``"plugen"`` and the rivals that do ``task``, in config order."""
        return ("plugen", *(m for m in self.rivals(config) if task in self.rival_tasks(config, m)))

    def rival_problems(self, config: Config) -> list[str]:
        """Configured rivals this experiment cannot run, one line each: an image rival
        (:data:`IMAGE_RIVALS`) needs encoded latents of a real image dataset, since it trains
        on those images and edits the test images the latents were encoded from."""
        image = [m for m in self.rivals(config) if m in IMAGE_RIVALS]
        if image and (self.latents != "encoded" or self.real_images(config) is None):
            return [
                f"{self.name}.baselines.methods: {image} train on the experiment's images, and "
                f"{self.name} has no encoded image dataset (its latents are {self.latents}); "
                f"use the latent rivals {[m for m in RIVAL_OPERATIONS if m not in IMAGE_RIVALS]}"
            ]
        return []
