"""One explanation method over a set of inputs, as the workflow and the CLI run it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from plugen.explain.decision import Decision
from plugen.explain.latent import latent_counterfactuals
from plugen.explain.measures import counterfactual_frame, judged_changes
from plugen.explain.search import explain

METHODS = ("plugen", "latent")


def run_method(
    method: str,
    plugin,
    decision: Decision,
    z: np.ndarray,
    source_ids: Sequence[str],
    settings: Mapping[str, Any] | None = None,
    judge: Callable[[np.ndarray], pd.DataFrame] | None = None,
    judge_kinds: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray | None]:
    """Counterfactuals of latents ``z (n, d)`` by ``method`` ("plugen": the attribute search
    of :func:`plugen.explain.explain`; "latent": the latent-gradient baseline).

    settings: ``attributes``, ``bounds``, ``grid``, ``max_exact`` (plugen) and ``latent``
    (keyword arguments of :func:`latent_counterfactuals`), ``tolerance`` (continuous change
    the judge must read). With a decoder in ``decision``, images are decoded and, with a
    ``judge`` (uint8 images -> ``pred_<attr>`` frame), the attributes it reads as changed go
    to ``judged_changed`` (and are the baseline's ``changed``). Returns (the counterfactuals
    table without ``image_path``, counterfactual latents ``(n, d)``, their uint8 images
    ``(n, H, W, 3)`` or None). Raises ValueError for an unknown method or bad inputs.
    """
    settings = dict(settings or {})
    if method == "plugen":
        cf = explain(
            plugin,
            decision,
            z,
            attributes=settings.get("attributes"),
            bounds=settings.get("bounds"),
            grid=settings.get("grid", 8),
            max_exact=settings.get("max_exact", 3),
        )
    elif method == "latent":
        cf = latent_counterfactuals(decision, z, **settings.get("latent", {}))
    else:
        raise ValueError(f"explain: unknown method {method!r}; known: {list(METHODS)}")
    columns: dict[str, Any] = {}
    images = None
    changed = None
    if decision.decode is not None:
        before, images = decision.images(z), decision.images(cf.z)
        diff = (images.astype(np.float32) - before.astype(np.float32)) / 255.0
        columns["pixel_mse"] = (diff**2).reshape(len(z), -1).mean(1).astype(np.float32)
        if judge is not None:
            judged = judged_changes(
                judge(before), judge(images), judge_kinds or {}, settings.get("tolerance", 0.1)
            )
            columns["judged_changed"] = judged
            if method == "latent":
                changed = [c if ok else [] for c, ok in zip(judged, cf.flipped)]
    if plugin is not None:
        columns["nll"] = plugin_nll(plugin, cf.z)
    frame = counterfactual_frame(cf, source_ids, np.asarray(z), changed=changed, **columns)
    return frame, cf.z, images


def plugin_nll(plugin, z: np.ndarray) -> np.ndarray:
    """The plugin's negative log-likelihood ``(n,)`` of latents ``(n, d)`` with every label
    unknown (the flow's density of the latent, attributes marginalised by the prior)."""
    y = np.full((len(z), len(plugin.attributes)), np.nan, dtype=np.float32)
    return plugin.nll(z, y).astype(np.float32)
