"""Names and paths every layer shares: the config type, the image tasks, the rivals and the
operation each offers, and where results live (``results/<experiment>/...``)."""

from __future__ import annotations

from collections.abc import Mapping
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
