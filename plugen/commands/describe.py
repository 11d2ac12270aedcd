"""``plugen encode`` (labels read off latents) and ``plugen info`` (what a plugin file holds)."""

from __future__ import annotations

import argparse

from plugen.atomic import atomic_path
from plugen.commands import common


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "encode",
        help="read attribute labels off latents",
        description="Write a csv with id and one column per attribute read off the flow's "
        "label coordinates: binary attributes as 0/1 decisions plus p_<attr> probabilities, "
        "continuous ones in the attribute's units. Runs on the CPU.",
        epilog="example: plugen encode --plugin plugin.pt --latents z.npy --out labels.csv",
    )
    p.add_argument("--plugin", required=True, metavar="PLUGIN.pt")
    p.add_argument("--latents", required=True, metavar="Z", help=".npy, .pt or .parquet")
    p.add_argument("--out", required=True, metavar="LABELS.csv")
    common.add_w_plus(p)
    p.set_defaults(func=encode)

    p = sub.add_parser(
        "info",
        help="describe a trained plugin",
        description="Print a plugin's attributes and kinds, latent width, flow size, sigma "
        "and training summary.",
        epilog="example: plugen info plugin.pt",
    )
    p.add_argument("plugin", metavar="PLUGIN.pt")
    p.set_defaults(func=info)


def encode(args: argparse.Namespace) -> int:
    import numpy as np
    import pandas as pd

    common.check_suffix(args.out, (".csv",), "--out")
    model = common.load_plugin(args.plugin, "cpu")  # label_coordinates returns CPU numpy
    z, ids, _ = common.read_plugin_latents(args.latents, model, args.w_plus)
    coords = model.label_coordinates(z)
    frame = pd.DataFrame({"id": ids})
    for a in model.attributes:
        frame[a] = (coords[a] >= 0.5).astype(np.int64) if model.kinds[a] == "binary" else coords[a]
    for a in model.attributes:
        if model.kinds[a] == "binary":
            frame[f"p_{a}"] = coords[a]
    with atomic_path(args.out) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.6g")
    print(f"wrote labels of {len(frame)} latents to {args.out}")
    return 0


COUPLING_NAMES = {"nice": "additive", "affine": "affine"}


def _training_lines(history: list[dict[str, float]]) -> list[str]:
    if not history:
        return ["not trained"]
    key = "val_loss" if "val_loss" in history[0] else "train_loss"
    best = min(history, key=lambda row: row[key])
    return [
        f"{len(history)} epochs, final lr {history[-1]['lr']:.3g}",
        f"best {key.replace('_', ' ')} {best[key]:.4g} at epoch {int(best['epoch'])}",
    ]


def info(args: argparse.Namespace) -> int:
    model = common.load_plugin(args.plugin, "cpu")
    cfg = model.config
    width = max(len(a) for a in model.attributes)
    lines = [f"{args.plugin}", "attributes:"]
    for j, a in enumerate(model.attributes):
        if model.kinds[a] == "binary":
            detail = f"positive rate {model.stats.pos_rate[j]:.3f}"
        else:
            detail = f"mean {model.stats.y_mean[j]:.4g}, sd {model.stats.y_std[j]:.4g}"
            span = (model.stats.support or {}).get("ranges", {}).get(a)
            detail += f", labels in [{span[0]:.4g}, {span[1]:.4g}]" if span else ""
        lines.append(f"  {a:<{width}}  {model.kinds[a]:<10}  {detail}")
    lines += [
        f"latent width: {cfg.latent_dim} ({len(model.attributes)} label + "
        f"{cfg.latent_dim - len(model.attributes)} style coordinates)",
        f"flow: {cfg.n_couplings} {COUPLING_NAMES[cfg.coupling]} couplings x {cfg.n_layers} "
        f"layers, hidden {cfg.hidden}{', diagonal scaling' if cfg.scaling else ''}"
        f"{', after a fixed whitening' if cfg.whiten else ''}",
        f"sigma: {cfg.sigma:g} (at the end of training {model.sigma_now:g}); "
        "plugen generate's temperature: 1 unless --temperature",
    ]
    support = model.stats.support
    if support and support["combinations"] is not None and support["binary"]:
        n_all = 2 ** len(support["binary"])
        lines.append(
            f"binary combinations in the labels: {len(support['combinations'])} of {n_all} "
            f"({support['n_complete']} fully labelled rows)"
        )
    training = _training_lines(model.history)
    lines.append(f"training: {training[0]}")
    lines += [f"          {line}" for line in training[1:]]
    print("\n".join(lines))
    return 0
