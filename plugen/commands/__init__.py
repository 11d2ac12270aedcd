"""The ``plugen`` verbs for trained plugins: train, generate, manipulate, encode, info,
evaluate, explain, inpaint.

Each module adds its sub-parsers; heavy imports (torch, pandas) wait until a verb runs.
"""

from __future__ import annotations

import argparse

from plugen.commands import describe, edit, evaluate, explain, inpaint, train


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Register the plugin verbs on the ``plugen`` sub-command parser ``sub``."""
    train.add_parser(sub)
    edit.add_parsers(sub)
    describe.add_parsers(sub)
    evaluate.add_parsers(sub)
    explain.add_parser(sub)
    inpaint.add_parser(sub)
