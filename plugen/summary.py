"""results/summary.md: our tables beside the paper's numbers, with protocol notes."""

from __future__ import annotations

import importlib

import pandas as pd


def markdown_table(frame: pd.DataFrame, digits: int = 3) -> str:
    """A pipe table (no tabulate dependency)."""
    cols = list(frame.columns)

    def fmt(v):
        return f"{v:.{digits}f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in frame.itertuples(False)]
    return "\n".join(lines)


def reference(experiment: str) -> tuple[dict[str, str], dict[str, str]]:
    """The paper's numbers and our protocol notes per metrics table, from
    ``plugen.reference.<experiment>`` (empty when that module does not exist)."""
    try:
        mod = importlib.import_module(f"plugen.reference.{experiment}")
    except ModuleNotFoundError:
        return {}, {}
    return getattr(mod, "PAPER", {}), getattr(mod, "NOTES", {})


def render_summary(experiment: str, tables: dict[str, pd.DataFrame]) -> str:
    """Markdown for one experiment: each metrics table with the paper's number and a note."""
    paper, notes = reference(experiment)
    out = [f"## {experiment}", ""]
    if "" in notes:
        out += [notes[""], ""]
    for name, frame in tables.items():
        out += [f"### {name}", "", markdown_table(frame), ""]
        if name in paper:
            out.append(f"*Paper:* {paper[name]}")
        if name in notes:
            out.append(f"*Protocol:* {notes[name]}")
        out.append("")
    return "\n".join(out)
