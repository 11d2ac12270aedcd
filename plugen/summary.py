"""results/summary.md: our tables beside the paper's numbers, with protocol notes."""

from __future__ import annotations

import pandas as pd

# PluGeN rows of the paper (Wolczyk et al., AAAI 2022) for the closest tables.
PAPER = {
    "generation": "Table 3 (CelebA, VAE backbone): PluGeN F1 0.87, AUC 0.94 (mean of 9 attrs).",
    "manipulation": "Table 2 (CelebA, VAE backbone): PluGeN mean accuracy of requested attribute "
    "pairs 0.81 on all pairs.",
    "gradual": "Paper shows gradual edits qualitatively (Figure 4); no number reported.",
    "fid": "Table 3: PluGeN FID 102 (generated) vs 78 for VAE reconstructions.",
    "classifier": "The paper's judge is a ResNet-56 trained on CelebA (no accuracy reported).",
    "vae": "Backbone reconstruction quality (not reported in the paper).",
}
NOTES = {
    "generation": "Ours: procedural shapes, 5 binary attributes, all 32 combinations requested "
    "(including held-out ones), judged by a classifier trained on separate data.",
    "manipulation": "Ours: every pair of binary attributes flipped on test images; 'held-out' "
    "rows end in a combination never seen in PluGeN's training labels.",
}


def markdown_table(frame: pd.DataFrame, digits: int = 3) -> str:
    """A pipe table (no tabulate dependency)."""
    cols = list(frame.columns)

    def fmt(v):
        return f"{v:.{digits}f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in frame.itertuples(False)]
    return "\n".join(lines)


def render_summary(experiment: str, tables: dict[str, pd.DataFrame]) -> str:
    """Markdown for one experiment: each metrics table with the paper's number and a note."""
    out = [f"## {experiment}", ""]
    for name, frame in tables.items():
        out += [f"### {name}", "", markdown_table(frame), ""]
        if name in PAPER:
            out.append(f"*Paper:* {PAPER[name]}")
        if name in NOTES:
            out.append(f"*Protocol:* {NOTES[name]}")
        out.append("")
    return "\n".join(out)
