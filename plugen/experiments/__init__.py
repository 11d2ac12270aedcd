"""Experiment specs: one object per experiment declares what the generic rules need.

A spec says which attributes PluGeN models (and their kinds), where the latents come from, which
decoder turns latents into images, which judge scores them, which tasks run, which sample sets
get an FID, which metrics tables the summary shows, and where the paper's reference rows live.
The Snakefile reads specs at start-up, so this package imports nothing heavy at import time;
methods import what they need (the shapes attribute table, a user's files and, to check a
user's TorchScript modules before any job, torch) only when asked.

Register a new experiment with :func:`register` in its own module and list that module in
``_MODULES`` (docs/adding-an-experiment.md).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Config = Mapping[str, Any]

# Image tasks served by the shared rules (rules/image_tasks.smk).
IMAGE_TASKS = ("generation", "manipulation", "gradual", "flip", "flip_real")
LATENT_SOURCES = ("encoded", "sampled", "user")
RESULTS = "results"
# The rivals the DAG can run and the editor operation each offers (mirrors
# ``plugen.baselines.BASELINES[m].tasks``, kept here so specs stay torch-free).
RIVAL_OPERATIONS: dict[str, tuple[str, ...]] = {
    "interfacegan": ("generation", "manipulation"),
    "cflow": ("generation", "manipulation"),
    "cnice": ("generation", "manipulation"),
    "cnf": ("generation", "manipulation"),
    "msp": ("manipulation",),
    "cvae": ("generation",),
}
# Rivals that train on the experiment's images (its ``real_images`` table) with their own
# encoder/decoder instead of on the backbone's latents; they answer with images.
IMAGE_RIVALS = ("msp", "cvae")


def task_operation(task: str) -> str:
    """The editor operation an image task asks for: ``generation`` or ``manipulation``."""
    return "generation" if task == "generation" else "manipulation"


def results_path(experiment: str, *parts: str) -> str:
    """``results/<experiment>/<parts...>``: the one place result paths are spelled."""
    return "/".join((RESULTS, experiment, *parts))


def rival_settings(config: Config, experiment: str, method: str) -> dict[str, Any]:
    """A rival's section of ``<experiment>.baselines``, with what it leaves to PluGeN filled in:
    cnice's flow size and couplings (null in its section) are the experiment's ``flow``'s."""
    section = dict(config[experiment]["baselines"][method])
    if method == "cnice":
        flow = config[experiment]["flow"]
        section.update({k: flow[k] for k, v in section.items() if v is None and k in flow})
    return section


def run_path(experiment: str, method: str | None, *parts: str) -> str:
    """Where one editor's files live: PluGeN's (``method`` None or "plugen") under
    ``results/<experiment>/``, a rival's under ``results/<experiment>/baselines/<method>/``."""
    if method in (None, "plugen"):
        return results_path(experiment, *parts)
    return results_path(experiment, "baselines", method, *parts)


def parse_run(run: str) -> tuple[str, str]:
    """``"<exp>"`` -> ``(exp, "plugen")``; ``"<exp>/baselines/<method>"`` -> ``(exp, method)``.

    Raises ValueError for any other form.
    """
    parts = run.split("/")
    if len(parts) == 1:
        return parts[0], "plugen"
    if len(parts) == 3 and parts[1] == "baselines":
        return parts[0], parts[2]
    raise ValueError(f"run {run!r}: expected '<exp>' or '<exp>/baselines/<method>'")


@dataclass(frozen=True)
class Decoder:
    """How latents become images. kind: "vae" | "gan" (checkpoints of this project) or
    "torchscript" (a user's module ``(n, d)`` or ``(n, L, d)`` -> ``(n, C, H, W)``)."""

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
    classifier checkpoint) or "torchscript" (a user's module images -> ``(n, k)`` logits or
    values, columns named by ``outputs``)."""

    kind: str
    path: str
    outputs: tuple[str, ...] = ()
    image_range: tuple[float, float] = (0.0, 1.0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": self.path,
            "outputs": list(self.outputs),
            "image_range": list(self.image_range),
        }


@dataclass(frozen=True)
class Experiment:
    """What one experiment is, for the generic rules (see the module docstring).

    name: config key and results folder; payload: "image" or "smiles"; latents: "encoded" (a
    backbone trained and encoded in the DAG), "sampled" (decoder-only backbone, samples labelled
    by the judge) or "user" (given by path); shared: sections of results/ it reads (their
    tables come first in the summary); figure_dirs: extra figure folders under results/<name>/;
    task_sources: task -> latents table the task edits (default latents.parquet);
    reference: module under plugen.reference with the paper's rows; paper_rivals: task ->
    (paper table number, its printed rows to show) beside ``compare_<task>``; rival_note: how
    the rivals are run on this experiment (for the summary).
    """

    name: str
    payload: str = "image"
    latents: str = "encoded"
    shared: tuple[str, ...] = ()
    figure_dirs: tuple[str, ...] = ()
    task_sources: Mapping[str, str] = field(default_factory=dict)
    reference: str | None = None
    paper_rivals: Mapping[str, tuple[int, tuple[str, ...]]] = field(default_factory=dict)
    rival_note: str = ""

    # ---------------------------------------------------------------- overridden per experiment
    def attributes(self, config: Config) -> dict[str, str]:
        """Attribute name -> "binary" | "continuous", in flow order."""
        raise NotImplementedError

    def decoder(self, config: Config) -> Decoder | None:
        return None

    def judge(self, config: Config) -> Judge | None:
        return None

    def tasks(self, config: Config) -> tuple[str, ...]:
        """Image tasks run through the shared rules (a subset of :data:`IMAGE_TASKS`)."""
        return ()

    def figure_tasks(self, config: Config) -> tuple[str, ...]:
        """Sample sets drawn in results/<name>/figures (tasks, or "inversion")."""
        return self.tasks(config)

    def fid_sets(self, config: Config) -> tuple[str, ...]:
        """Sample sets compared with real test images ("reconstruction": the VAE's)."""
        return ()

    def summary_tables(self, config: Config) -> tuple[str, ...]:
        """Metrics tables (results/<name>/metrics/<table>.parquet) shown in the summary."""
        fid = ("fid",) if self.fid_sets(config) else ()
        rivals = self.rival_tables(config)
        sweep = ("generation_sweep",) if self.sweep_temperatures(config) else ()
        return (*self.judged_tasks(config), *fid, *rivals, *sweep, *self.explain_tables(config))

    def sweep_temperatures(self, config: Config) -> list[float]:
        """Temperatures of the generation sweep (``tasks.generation.sweep``): none unless the
        experiment's generated images are judged and scored by FID."""
        if "generation" not in self.judged_tasks(config) or "generation" not in self.fid_sets(
            config
        ):
            return []
        return list(config[self.name]["tasks"]["generation"].get("sweep", []))

    def timing_tables(self, config: Config) -> tuple[str, ...]:
        """Summary tables that hold wall-clock measurements: rendered into results/timings.md,
        so that results/summary.md is the same bytes for the same config."""
        return ("rivals_training",) if self.rival_tables(config) else ()

    def rival_tables(self, config: Config) -> tuple[str, ...]:
        """The comparison tables (one per task a rival does) and the rivals' training table."""
        compared = tuple(f"compare_{t}" for t in self.compared_tasks(config))
        return (*compared, "rivals_training") if compared else ()

    def heldout(self, config: Config) -> list[dict[str, float]]:
        """Attribute combinations never seen in PluGeN's training labels."""
        return []

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

    def check(self, config: Config) -> list[str]:
        """Problems with this experiment's config or inputs, one line each (before any job)."""
        return []

    # ---------------------------------------------------------------- image data set and its models
    def data_section(self, config: Config) -> str | None:
        """The config section whose ``results/<section>/data/`` (``dataset.parquet``, ``images/``)
        holds this experiment's image data set; None when it has none."""
        return None

    def n_images(self, config: Config, splits: Sequence[str]) -> int:
        """How many images of ``splits`` the data set holds (at most; it sizes jobs' memory and
        time); 0 without a data set."""
        return 0

    def vae_config(self, config: Config) -> Mapping[str, Any] | None:
        """The config section of the conv VAE the DAG trains on the data set (train_vae's
        ``cfg``: ``latent_dim``, ``beta``, ``widths``, ``train``); None when none is trained."""
        return None

    def vae_splits(self, config: Config) -> tuple[str, ...]:
        """The splits train_vae reads: the one the VAE trains on, then its early-stopping one."""
        return ("train", "val")

    def user_encoder(self, config: Config) -> dict[str, Any] | None:
        """The user's TorchScript encoder extract_latents encodes the data set with
        (``{"path", "image_range"}``); None: the VAE trained in the DAG encodes it."""
        return None

    def labels_per_image(self, config: Config) -> int | None:
        """k labels kept per train/val image when the latents are extracted (the rest unknown:
        semi-supervised); None keeps every label."""
        return None

    def trains_judge(self, config: Config) -> bool:
        """Whether the DAG trains this experiment's own judge on its data set (train_judge,
        ``results/<name>/models/classifier.pt``)."""
        return False

    # ---------------------------------------------------------------- counterfactual explanations
    def explain(self, config: Config) -> Mapping[str, Any] | None:
        """The ``<name>.explain`` settings when the counterfactual task is on, else None."""
        section = config.get(self.name, {}).get("explain")
        return section if section and section["enabled"] and self.payload == "image" else None

    def decision_model(self, config: Config) -> dict[str, str]:
        """The decision model explained: the user's TorchScript file (``<name>.explain.model``,
        reading ``input`` "image" or "latent") or the hidden-rule model trained in the DAG
        (kind "rule", reading images)."""
        section = self.explain(config) or {}
        if section.get("model"):
            return {"kind": "torchscript", "path": section["model"], "input": section["input"]}
        path = results_path(self.name, "models", "decision.pt")
        return {"kind": "rule", "path": path, "input": "image"}

    def explain_images(self, config: Config) -> bool:
        """Whether the explained decision reads decoded images (then counterfactuals have
        images, judged changes, FID and figure strips), not latents."""
        return self.decision_model(config)["input"] == "image"

    def decision_input(self, config: Config, n: int = 2) -> Any:
        """``n`` example inputs of the decision model (a float tensor: images ``(n, C, H, W)``
        in the decoder's pixel range, or latents ``(n, d)``), to check a user's model before
        any job; None when they cannot be made before the jobs (e.g. a decoder trained in the
        DAG)."""
        return None

    def rule_images(self, config: Config) -> str | None:
        """Labelled images (a dataset table) a hidden-rule decision model trains on; None when
        this experiment has none (its ``explain.model`` must then be given)."""
        return None

    def depends_on(self, config: Config) -> list[str] | None:
        """Attributes the explained decision really depends on (faithfulness's truth): the
        ``explain.depends_on`` list, else the rule's attributes for the rule's model, else None."""
        from plugen.explain.rule import Rule

        section = self.explain(config) or {}
        if section.get("depends_on") is not None:
            return list(section["depends_on"])
        if self.decision_model(config)["kind"] == "rule":
            return Rule(section["rule"], self.attributes(config)).attributes
        return None

    def explain_tables(self, config: Config) -> tuple[str, ...]:
        """The counterfactual task's metrics tables (none when it is off)."""
        if not self.explain(config):
            return ()
        trained = ("decision_model",) if self.decision_model(config)["kind"] == "rule" else ()
        return (*trained, "counterfactuals", "counterfactual_attributes")

    def explain_problems(self, config: Config) -> list[str]:
        """Problems with ``<name>.explain`` (input, the user's decision model run on
        :meth:`decision_input`, rule, attribute names, bounds), one line each."""
        from plugen.explain.rule import Rule

        section = self.explain(config)
        if not section:
            return []
        attrs, key, problems = self.attributes(config), f"{self.name}.explain", []
        if section["input"] == "image" and self.decoder(config) is None:
            problems.append(
                f"{key}.input: 'image' needs a decoder, and {self.name} has none "
                "(set input: latent for a model that reads latents)"
            )
        elif section["model"]:
            problems += self._decision_model_problems(config, f"{key}.model")
        if section["input"] == "latent" and not section["model"]:
            problems.append(
                f"{key}.input: 'latent' needs {key}.model (a rule's model reads images)"
            )
        if not section["model"]:
            if self.rule_images(config) is None:
                problems.append(f"{key}.model: {self.name} has no images to train a rule on")
            try:
                Rule(section["rule"], attrs)
            except ValueError as exc:
                problems.append(f"{key}.rule: {exc}")
        for field_ in ("attributes", "depends_on"):
            unknown = [a for a in section[field_] or [] if a not in attrs]
            if unknown:
                problems.append(
                    f"{key}.{field_}: unknown attribute(s) {unknown}; known: {list(attrs)}"
                )
        for name, (lo, hi) in section["bounds"].items():
            if attrs.get(name) != "continuous":
                problems.append(f"{key}.bounds: {name!r} is not a continuous attribute")
            elif not lo < hi:
                problems.append(f"{key}.bounds.{name}: expected [low, high] with low < high")
        return problems

    def _decision_model_problems(self, config: Config, key: str) -> list[str]:
        """The user's decision model: its file exists and maps two example inputs to one
        logit each (one line naming ``key`` otherwise)."""
        import os

        from plugen.runtime import is_import_path

        path = self.explain(config)["model"]
        if not is_import_path(path) and not os.path.isfile(path):
            return [f"{key}: {path}: file not found"]
        try:
            x = self.decision_input(config)
            if x is None:
                return []
            import torch

            from plugen.backbones.torchscript import load_torchscript
            from plugen.explain.decision import check_logits

            with torch.no_grad():
                check_logits(load_torchscript(path, "decision model").eval()(x), len(x), path)
        except Exception as exc:  # noqa: BLE001 - the user's module may raise anything
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return [f"{key}: {first}"]
        return []

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

    # ---------------------------------------------------------------- derived
    def binary(self, config: Config) -> list[str]:
        return [a for a, k in self.attributes(config).items() if k == "binary"]

    def judged(self, config: Config) -> list[str]:
        """Attributes the judge reads (every attribute for the shapes classifier)."""
        judge = self.judge(config)
        if judge is None:
            return []
        attrs = self.attributes(config)
        return [a for a in (judge.outputs or attrs) if a in attrs]

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

    def figure_folders(self, config: Config) -> tuple[str, ...]:
        """Figure folders under results/<name>/ that the report collects."""
        shown = self.explain(config) and self.explain_images(config)
        explained = ("explain_figures",) if shown else ()
        sweep = ("sweep_figures",) if self.sweep_temperatures(config) else ()
        tasks = ("figures",) if self.figure_tasks(config) else ()
        return tasks + self.figure_dirs + sweep + explained

    def input_files(self, config: Config) -> list[str]:
        """User files the experiment reads (inputs of its first rule)."""
        return []

    def real_images(self, config: Config) -> str | None:
        """Dataset table of real images (figures' originals, FID's reference): the one of
        :meth:`data_section`, if any."""
        section = self.data_section(config)
        return None if section is None else results_path(section, "data", "dataset.parquet")

    def inception_path(self, config: Config) -> str | None:
        """A TorchScript Inception network for FID beside the judge's features, if given."""
        return None

    def latent_settings(self, config: Config) -> dict[str, Any]:
        """The part of the config :meth:`load_latents` reads (the user_latents rule's params,
        so that other settings do not rewrite the latents)."""
        return {"seed": config["seed"], self.name: config[self.name]}

    def load_latents(self, config: Config) -> tuple[Any, Any]:
        """For ``latents == "user"``: (frame with id, split and attribute columns, z (n, d))."""
        raise NotImplementedError(f"experiment {self.name!r} does not read user latents")

    def load_spread(self, config: Config) -> Any:
        """For ``latents == "user"``: the posterior standard deviations ``(n, d)`` of the
        latents, or None when the user gives none (GAN latents are samples already)."""
        return None


_REGISTRY: dict[str, Experiment] = {}
_MODULES = ("shapes_vae", "shapes_gan", "molecules", "custom", "stylegan_ffhq", "celeba_vae")


def register(spec: Experiment) -> Experiment:
    """Add ``spec`` to the registry (one name, one spec)."""
    if spec.payload not in ("image", "smiles") or spec.latents not in LATENT_SOURCES:
        raise ValueError(
            f"experiment {spec.name!r}: bad payload/latents {spec.payload}/{spec.latents}"
        )
    _REGISTRY[spec.name] = spec
    return spec


def _load_all() -> None:
    for module in _MODULES:
        importlib.import_module(f"plugen.experiments.{module}")


def names() -> list[str]:
    """Every registered experiment: the shipped ones in ``_MODULES`` order (whatever order they
    were imported in), then any other in registration order."""
    _load_all()
    order = {m: i for i, m in enumerate(_MODULES)}
    return sorted(_REGISTRY, key=lambda n: order.get(n, len(order)))


def get(name: str) -> Experiment:
    """The spec registered as ``name``; ValueError naming the known ones otherwise."""
    _load_all()
    if name not in _REGISTRY:
        raise ValueError(f"experiments: unknown experiment {name!r}; known: {names()}")
    return _REGISTRY[name]


def check_config(config: Config) -> list[str]:
    """Cross-key problems of every enabled experiment, one line each."""
    problems = []
    for name in config.get("experiments", []):
        try:
            spec = get(name)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        # the explain checks read the experiment's files: only once its own checks pass
        own = spec.check(config) + spec.rival_problems(config)
        problems += own or spec.explain_problems(config)
    return problems
