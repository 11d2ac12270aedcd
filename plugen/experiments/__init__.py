"""Experiments: one folder per experiment (``plugen/experiments/<name>/``) holding everything that
is only that experiment's (its spec, readers, backbone adapters, tasks and tables, figures,
``schema.json`` config section, ``reference.py`` with the paper's numbers, shipped weights), and
this registry of them.

:data:`PACKAGES` is the registry: the experiment folders, in the order the summary and the docs
list them. A folder's ``__init__`` registers its spec(s) with :func:`register`; a folder may also
only hold what a family of experiments shares (``shapes``: the rendered data set and its judge)
and register nothing. Every folder with a ``schema.json`` owns the top-level config section of
its name. Importing this package imports no experiment; :func:`get` and :func:`names` import
the folders on first use (docs/adding-an-experiment.md).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from importlib.resources import files
from typing import Any

from plugen.experiments.paths import (  # noqa: F401 - the names rules and scripts use
    IMAGE_RIVALS,
    IMAGE_TASKS,
    LATENT_SOURCES,
    RESULTS,
    RIVAL_OPERATIONS,
    Config,
    parse_run,
    results_path,
    rival_settings,
    run_path,
    task_operation,
)
from plugen.experiments.spec import _REGISTRY, Decoder, Experiment, Judge, register  # noqa: F401

#: The experiment folders (``plugen.experiments.<package>``): one line per experiment.
PACKAGES = (
    "shapes",
    "shapes_vae",
    "shapes_gan",
    "shapes3d",
    "shapenet_pc",
    "molecules",
    "custom",
    "stylegan_ffhq",
    "celeba_vae",
)


def _load_all() -> None:
    for package in PACKAGES:
        importlib.import_module(f"plugen.experiments.{package}")


def names() -> list[str]:
    """Every registered experiment: those of :data:`PACKAGES` in its order, then any other in
    registration order."""
    _load_all()
    order = {p: i for i, p in enumerate(PACKAGES)}
    return sorted(_REGISTRY, key=lambda n: order.get(n, len(order)))


def get(name: str) -> Experiment:
    """The spec registered as ``name``; ValueError naming the known ones otherwise."""
    _load_all()
    if name not in _REGISTRY:
        raise ValueError(f"experiments: unknown experiment {name!r}; known: {names()}")
    return _REGISTRY[name]


def config_sections() -> dict[str, Any]:
    """Top-level config section -> its schema file (a Traversable): each folder's
    ``schema.json``."""
    out = {}
    for package in PACKAGES:
        schema = files(f"plugen.experiments.{package}") / "schema.json"
        if schema.is_file():
            out[package] = schema
    return out


def check_config(config: Mapping[str, Any]) -> list[str]:
    """Cross-key problems of every enabled experiment, one line each."""
    problems = []
    for name in config.get("experiments", []):
        try:
            spec = get(name)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        # the explain checks read the experiment's files: only once its own checks pass
        own = spec.check(config) + spec.rival_problems(config) + spec.inpaint_problems(config)
        problems += own or spec.explain_problems(config)
    return problems
