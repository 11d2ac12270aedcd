"""Counterfactual explanations through a plugin: which interpretable attributes must change to
flip a black-box decision (:func:`explain`), a latent-space baseline
(:func:`latent_counterfactuals`), their measures (``plugen.explain.measures``), and the
hidden-rule decision model trained on labelled images (``plugen.explain.rule``, ``.cnn``).

The search needs only torch and numpy; the measures build pandas tables. Names are imported
on first use, so ``plugen.explain.rule`` (numpy only) loads without torch.
"""

from __future__ import annotations

import importlib

_NAMES = {
    "Counterfactuals": "search",
    "explain": "search",
    "Decision": "decision",
    "check_logits": "decision",
    "latent_counterfactuals": "latent",
    "Rule": "rule",
}
__all__ = sorted(_NAMES)


def __getattr__(name: str):
    if name not in _NAMES:
        raise AttributeError(f"module 'plugen.explain' has no attribute {name!r}")
    return getattr(importlib.import_module(f"plugen.explain.{_NAMES[name]}"), name)
