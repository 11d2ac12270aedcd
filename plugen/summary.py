"""results/summary.md: our tables beside the paper's numbers, with protocol notes; the
comparison tables of PluGeN and its rivals (:func:`compare_methods`)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence

import numpy as np
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
    ``plugen.experiments.<experiment>.reference`` (empty when the folder has none)."""
    try:
        mod = importlib.import_module(f"plugen.experiments.{experiment}.reference")
    except ModuleNotFoundError as exc:
        if exc.name != f"plugen.experiments.{experiment}.reference":
            raise
        return {}, {}
    return getattr(mod, "PAPER", {}), getattr(mod, "NOTES", {})


# protocol notes of the tasks every image experiment shares (an experiment's own note wins)
SHARED_NOTES = {
    "inpaint": "The first test images under each mask, k fillings each: PSNR/SSIM on the hidden "
    "region (the composite) and on the observed one (the decode itself, beside the plain "
    "reconstruction of the whole image); diversity_ratio: the fillings' mean pairwise RMS on the "
    "hidden region over the RMS between different test images there; acc_<attr>: the judge on "
    "the composite vs the truth. A request (PluGeN only) sets the attribute to the opposite of "
    "the truth; requested_acc_hidden and kept_shown count only the images whose observed pixels "
    "do not (requested) or do (kept) show the attribute, where the experiment can tell.",
}


def render_summary(experiment: str, tables: dict[str, pd.DataFrame]) -> str:
    """Markdown for one experiment: each metrics table with the paper's number and a note."""
    paper, notes = reference(experiment)
    notes = {**SHARED_NOTES, **notes}
    out = [f"## {experiment}", ""]
    if "" in notes:
        out += [notes[""], ""]
    for name, frame in tables.items():
        out += [f"### {name}", "", markdown_table(frame), ""]
        beside = (
            paper_beside(experiment, name, list(frame["method"])) if "method" in frame else None
        )
        if beside is not None:
            out += ["*Paper (its own data and attributes):*", "", markdown_table(beside, 2), ""]
        if name in paper:
            out.append(f"*Paper:* {paper[name]}")
        if name in notes:
            out.append(f"*Protocol:* {notes[name]}")
        out.append("")
    if any(name.startswith("compare_") for name in tables):  # the rivals' protocol, once
        out += [f"*Rivals:* {_rival_note(experiment)}", ""]
    return "\n".join(out)


# ---------------------------------------------------------------------------- method comparison
# Our method keys -> the paper's column names (the CNF rival is StyleFlow's flow type).
PAPER_NAMES = {
    "plugen": "PluGeN",
    "cflow": "cFlow",
    "cnf": "StyleFlow",
    "msp": "MSP",
    "cvae": "cVAE",
}


def _cells(task: str, metrics: pd.DataFrame) -> dict[str, float]:
    """One method's row of ``compare_<task>``: cells read off its ``metrics/<task>`` table."""
    if task in ("flip", "flip_real"):
        per_value = metrics[metrics["value"].isin(["0", "1"])]
        cells = {f"{r.attribute}={r.value}": r.accuracy for r in per_value.itertuples()}
        mean = metrics[metrics["attribute"] == "mean"].iloc[0]
        return {**cells, "average": mean["accuracy"], "preserved": mean["preserved"]}
    if task == "manipulation":
        overall = metrics[metrics["pair"] == "all"].set_index("combination")
        cells = {}
        # "unseen": edits into combinations the labels never show (no declared held-out set)
        combos = ("seen", "held-out", *(["unseen"] if "unseen" in overall.index else []))
        for combo in combos:
            has = combo in overall.index
            cells[combo] = overall.loc[combo, "pair_accuracy"] if has else np.nan
            cells[f"preserved_{combo}"] = overall.loc[combo, "preserved"] if has else np.nan
        return cells
    if task == "generation":
        by_attr = metrics.set_index("attribute")
        # continuous attributes requested in every sample: their Spearman correlation instead
        rho = by_attr["spearman"] if "spearman" in by_attr else pd.Series(dtype=float)
        continuous = [a for a in by_attr.index if a != "mean" and pd.notna(rho.get(a))]
        binary = [a for a in by_attr.index if a not in continuous]
        cells = {f"{m}_{a}": by_attr.loc[a, m] for m in ("f1", "auc", "accuracy") for a in binary}
        if continuous:
            cells.update({f"spearman_{a}": rho[a] for a in (*continuous, "mean")})
        return cells
    if task == "gradual":
        row = metrics.iloc[0]
        return {k: row[k] for k in ("spearman", "mean_spearman_per_image", "mean_abs_error")}
    raise ValueError(f"compare: unknown image task {task!r}")


def compare_methods(
    task: str, tables: Mapping[str, pd.DataFrame], temperature: float | None = None
) -> pd.DataFrame:
    """``compare_<task>``: one row per method (in the order of ``tables``: method -> its
    ``metrics/<task>`` table, as :func:`plugen.tasks.score_task` writes it), one float column
    per cell, each a plain lookup in that method's table:

    - ``flip``/``flip_real`` (Table 1 analogue): accuracy per ``<attribute>=<value>``,
      ``average`` (mean over attributes) and ``preserved``;
    - ``manipulation`` (Table 2): pair accuracy on ``seen`` and ``held-out`` combinations and
      the preservation of the other attributes on each (NaN where a method has no such row);
    - ``generation`` (Table 3): ``f1_<attr>``, ``auc_<attr>``, ``accuracy_<attr>`` and their
      ``_mean``; ``spearman_<attr>`` and ``spearman_mean`` for continuous attributes requested
      in every sample;
    - ``gradual``: Spearman correlations and mean absolute error.

    ``temperature``: the sampling temperature every method generated at (the standard deviation
    of its Gaussian base: PluGeN's style, cFlow's and the CNF's whole base, cVAE's latent,
    InterFaceGAN's fitted Gaussian), a ``temperature`` column after ``method`` when given.
    Raises ValueError for an unknown task or no tables.
    """
    if not tables:
        raise ValueError(f"compare_{task}: no methods to compare")
    rows = [{"method": m, **_cells(task, t)} for m, t in tables.items()]
    if temperature is not None:
        rows = [{"method": r.pop("method"), "temperature": float(temperature), **r} for r in rows]
    frame = pd.DataFrame(rows)
    cells = [c for c in frame.columns if c != "method"]
    return frame.astype({c: float for c in cells})


def training_report(
    histories: Mapping[str, pd.DataFrame],
    caps: Mapping[str, int | None],
    seconds: Mapping[str, float] | None = None,
    latency: Mapping[str, Mapping[int, float]] | None = None,
    trained_on: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """How each method's training ended: one row per method of ``histories`` (method -> its
    history table), with ``trained_on`` (method -> "posterior samples", "latents" or
    "images"), ``epochs_run``, ``epoch_cap`` (``caps``; None: a closed-form fit),
    ``best_epoch`` (lowest ``val_loss``, else ``val_nll``, else the last epoch), ``best_val``
    (that validation loss, NaN without one), ``stopped`` ("early stop": fewer epochs than the
    cap; "epoch cap"; "closed form") and, when ``seconds`` is given, ``train_seconds`` (the
    training rule's wall time). ``latency``: method -> batch size -> edit milliseconds per
    image, one ``edit_ms_b<batch>`` column per batch size (NaN for a method without one)."""
    rows = []
    trained_on = trained_on or {}
    for method, hist in histories.items():
        cap = caps.get(method)
        monitored = next((c for c in ("val_loss", "val_nll") if c in hist.columns), None)
        best_val = float(hist[monitored].min()) if monitored and cap is not None else np.nan
        if cap is None:
            epochs_run, best, stopped = 0, 0, "closed form"
        else:
            epochs_run = len(hist)
            last = int(hist["epoch"].iloc[-1])
            best = int(hist["epoch"].iloc[int(hist[monitored].argmin())]) if monitored else last
            stopped = "early stop" if epochs_run < cap else "epoch cap"
        rows.append(
            {
                "method": method,
                "trained_on": trained_on.get(method, ""),
                "epochs_run": epochs_run,
                "epoch_cap": cap if cap is not None else 0,
                "best_epoch": best,
                "best_val": best_val,
                "stopped": stopped,
            }
        )
        if seconds is not None:
            rows[-1]["train_seconds"] = float(seconds.get(method, np.nan))
    frame = pd.DataFrame(rows)
    latency = latency or {}
    for b in sorted({b for per in latency.values() for b in per}):
        frame[f"edit_ms_b{b}"] = [float(latency.get(m, {}).get(b, np.nan)) for m in frame.method]
    return frame


def trained_on(
    methods: Sequence[str], image_methods: Sequence[str], sampled: bool
) -> dict[str, str]:
    """What each method trained on: "images" (``image_methods``, their own encoder), else
    "posterior samples" when ``sampled`` (the latents' spread was used), else "latents"."""
    on_latents = "posterior samples" if sampled else "latents"
    return {m: "images" if m in image_methods else on_latents for m in methods}


def model_settings(method: str, settings: Mapping[str, object]) -> str:
    """One line of a method's model and sampling settings for the training table: PluGeN's flow
    (coupling, couplings x layers x width, label sigma) and the generation temperature; a
    rival's constructor settings."""
    s = dict(settings)
    if method == "plugen":
        scaling = " + scaling" if s.get("scaling") else ""
        text = (
            f"{s['coupling']}{scaling} {s['n_couplings']} x {s['n_layers']} x {s['hidden']}, "
            f"sigma {s['sigma']:g}"
        )
    else:
        text = ", ".join(f"{k} {v}" for k, v in s.items() if k not in ("train", "temperature"))
    if s.get("temperature") is not None:
        text += f"; generation temperature {s['temperature']:g}"
    return text


def paper_beside(experiment: str, table: str, methods: Sequence[str]) -> pd.DataFrame | None:
    """The paper's rows beside ``compare_<task>`` (the experiment spec's ``paper_rivals``):
    its printed rows for the compared methods the paper has (by their display names), or None
    when the paper has no such table."""
    from plugen import experiments
    from plugen.reference.paper import get_table, reference_table

    if not table.startswith("compare_") or experiment not in experiments.names():
        return None
    spec = experiments.get(experiment)
    task = table[len("compare_") :]
    if task not in spec.paper_rivals:
        return None
    number, printed = spec.paper_rivals[task]
    names = [PAPER_NAMES.get(m, m) for m in methods]
    known = [n for n in names if n in get_table(number)["rows"]]
    ref = reference_table(number, known)
    return ref[ref.iloc[:, 0].isin(printed)].reset_index(drop=True) if printed else ref


def _rival_note(experiment: str) -> str:
    from plugen import experiments

    note = experiments.get(experiment).rival_note if experiment in experiments.names() else ""
    return (
        "each rival is trained on the same train/val rows and labels as PluGeN (the latents, or "
        "for MSP and cVAE the images they were encoded from), answers the same requests (same "
        "sources, same seed, same sampling temperature) and is judged by the same classifier; a "
        "task whose operation a rival lacks is skipped (MSP only edits, cVAE only generates). "
        + note
    ).strip()
