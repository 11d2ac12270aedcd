"""The experiment spec: what one experiment declares for the generic rules.

A spec says which attributes PluGeN models (and their kinds), where the latents come from, which
decoder turns latents into images, which judge scores them, which tasks run, which sample sets
get an FID and which metrics tables the summary shows. :class:`Experiment` is composed of
capabilities (``plugen.experiments.capabilities``): image tasks, rivals, an image data set and
its models, counterfactual explanations; an experiment overrides the methods of those it has.
Specs are read by the Snakefile at start-up, so this module imports nothing heavy; methods import
what they need only when asked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from plugen.experiments.capabilities.explain import Explainable
from plugen.experiments.capabilities.image_data import ImageData
from plugen.experiments.capabilities.image_tasks import ImageTasks
from plugen.experiments.capabilities.inpaint import Inpainting
from plugen.experiments.capabilities.rivals import Rivals
from plugen.experiments.paths import (  # noqa: F401 - Config, results_path: for specs
    LATENT_SOURCES,
    Config,
    results_path,
)


@dataclass(frozen=True)
class Decoder:
    """How latents become images (or point clouds). kind: "vae" | "gan" | "pointnet"
    (checkpoints of this project), "torchscript" (a user's module ``(n, d)`` or ``(n, L, d)`` ->
    ``(n, C, H, W)``) or "torchscript_cloud" (a user's module -> clouds ``(n, P, 3)``)."""

    kind: str
    path: str
    layers: int | None = None
    image_range: tuple[float, float] = (0.0, 1.0)

    def files(self) -> list[str]:
        """The decoder's file, as a rule input (none for an import path package.module:name)."""
        from plugen.runtime import is_import_path

        return [] if is_import_path(self.path) else [self.path]

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": self.path,
            "layers": self.layers,
            "image_range": list(self.image_range),
        }


@dataclass(frozen=True)
class Judge:
    """The external judge of decoded images. kind: "classifier" (the shapes attribute
    classifier checkpoint), "pointnet" (the point-cloud judge checkpoint), "torchscript" (a
    user's module images -> ``(n, k)`` logits or values, columns named by ``outputs``) or
    "torchscript_cloud" (the same reading clouds ``(n, P, 3)``). channels: what the judge
    reads, 3 (RGB) or 1 (grey: a grey decoder's images, stored as 3 equal channels, are given
    as ``(n, 1, H, W)``)."""

    kind: str
    path: str
    outputs: tuple[str, ...] = ()
    image_range: tuple[float, float] = (0.0, 1.0)
    channels: int = 3

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": self.path,
            "outputs": list(self.outputs),
            "image_range": list(self.image_range),
            "channels": self.channels,
        }


@dataclass(frozen=True)
class Experiment(ImageTasks, Rivals, ImageData, Explainable, Inpainting):
    """What one experiment is, for the generic rules (see the module docstring).

    name: config key and results folder; payload: "image", "smiles" or "cloud" (point clouds,
    judged as clouds and drawn as their renderings); latents: "encoded" (a
    backbone trained and encoded in the DAG), "sampled" (decoder-only backbone, samples labelled
    by the judge) or "user" (given by path); shared: sections of results/ it reads (their
    tables come first in the summary); figure_dirs: extra figure folders under results/<name>/;
    task_sources: task -> latents table the task edits (default latents.parquet);
    paper_rivals: task ->
    (paper table number, its printed rows to show) beside ``compare_<task>``; rival_note: how
    the rivals are run on this experiment (for the summary).
    """

    name: str
    payload: str = "image"
    latents: str = "encoded"
    shared: tuple[str, ...] = ()
    figure_dirs: tuple[str, ...] = ()
    task_sources: Mapping[str, str] = field(default_factory=dict)
    paper_rivals: Mapping[str, tuple[int, tuple[str, ...]]] = field(default_factory=dict)
    rival_note: str = ""

    # ---------------------------------------------------------------- per experiment
    def attributes(self, config: Config) -> dict[str, str]:
        """Attribute name -> "binary" | "continuous", in flow order."""
        raise NotImplementedError

    def decoder(self, config: Config) -> Decoder | None:
        return None

    def judge(self, config: Config) -> Judge | None:
        return None

    def decodes_images(self, config: Config) -> bool:
        """Whether its decoder gives images (what the image-only tasks need: inpainting,
        counterfactual explanations)."""
        return self.payload == "image"

    def check(self, config: Config) -> list[str]:
        """Problems with this experiment's config or inputs, one line each (before any job)."""
        return []

    def binary(self, config: Config) -> list[str]:
        return [a for a, k in self.attributes(config).items() if k == "binary"]

    def judged(self, config: Config) -> list[str]:
        """Attributes the judge reads (every attribute for the shapes classifier)."""
        judge = self.judge(config)
        if judge is None:
            return []
        attrs = self.attributes(config)
        return [a for a in (judge.outputs or attrs) if a in attrs]

    def input_files(self, config: Config) -> list[str]:
        """User files the experiment reads (inputs of its first rule)."""
        return []

    def latent_settings(self, config: Config) -> dict[str, Any]:
        """The part of the config :meth:`load_latents` reads (the user_latents rule's params,
        so that other settings do not rewrite the latents)."""
        return {"seed": config["seed"], self.name: config[self.name]}

    def load_latents(self, config: Config) -> tuple[Any, Any]:
        """For ``latents == "user"``: (frame with id, split and attribute columns, z (n, d))."""
        raise NotImplementedError(f"experiment {self.name!r} does not read user latents")

    def validation_split(self, config: Config) -> bool:
        """Whether the flow stops early on the latents' own ``val`` rows (a split the user
        gave) rather than a seeded ``flow.train.val_fraction`` of the train and val rows."""
        return False

    def load_spread(self, config: Config) -> Any:
        """For ``latents == "user"``: the posterior standard deviations ``(n, d)`` of the
        latents, or None when the user gives none (GAN latents are samples already)."""
        return None

    def summary_tables(self, config: Config) -> tuple[str, ...]:
        """Metrics tables (results/<name>/metrics/<table>.parquet) shown in the summary."""
        fid = ("fid",) if self.fid_sets(config) else ()
        rivals = self.rival_tables(config)
        sweep = ("generation_sweep",) if self.sweep_temperatures(config) else ()
        inpaint, explain = self.inpaint_tables(config), self.explain_tables(config)
        return (*self.judged_tasks(config), *fid, *rivals, *sweep, *inpaint, *explain)

    def timing_tables(self, config: Config) -> tuple[str, ...]:
        """Summary tables that hold wall-clock measurements: rendered into results/timings.md,
        so that results/summary.md is the same bytes for the same config."""
        return ("rivals_training",) if self.rival_tables(config) else ()

    def figure_folders(self, config: Config) -> tuple[str, ...]:
        """Figure folders under results/<name>/ that the report collects."""
        shown = self.explain(config) and self.explain_images(config)
        explained = ("explain_figures",) if shown else ()
        sweep = ("sweep_figures",) if self.sweep_temperatures(config) else ()
        tasks = ("figures",) if self.figure_tasks(config) else ()
        inpaint = ("inpaint_figures",) if self.inpaint(config) else ()
        return tasks + self.figure_dirs + sweep + inpaint + explained


#: what an experiment's samples are (images and point clouds are served by the image-task rules)
PAYLOADS = ("image", "smiles", "cloud")
_REGISTRY: dict[str, Experiment] = {}


def register(spec: Experiment) -> Experiment:
    """Add ``spec`` to the registry (one name, one spec); ValueError for a bad payload/latents."""
    if spec.payload not in PAYLOADS or spec.latents not in LATENT_SOURCES:
        raise ValueError(
            f"experiment {spec.name!r}: bad payload/latents {spec.payload}/{spec.latents}"
        )
    _REGISTRY[spec.name] = spec
    return spec
