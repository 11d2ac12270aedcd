"""``plugen train``: fit a plugin on the user's latents and labels csv."""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import numpy as np

from plugen.commands import common

log = logging.getLogger(__name__)

EXAMPLE = "example: plugen train --latents z.npy --labels labels.csv --out plugin.pt"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train a plugin on your latents and labels",
        description="Train a PluGeN plugin. Latents: .npy, .pt or .parquet (id + z), (n, d) "
        "or W+ (n, L, d). Labels: a csv with one numeric column per attribute (empty cell = "
        "unknown), optionally an id column matched to the latents and a split column "
        "(train/val/test). Rows marked test (or a seeded 10% without a split column) are "
        "held out and scored; early stopping uses the rows marked val, or without a split "
        "column a seeded 10% of the rest. Every setting "
        "left out takes the default the workflow uses too (PluGeNConfig, TrainConfig; "
        "printed when training starts).",
        epilog=EXAMPLE,
    )
    p.add_argument("--latents", required=True, metavar="Z", help=".npy, .pt or .parquet")
    p.add_argument("--labels", required=True, metavar="Y.csv")
    p.add_argument(
        "--latents-std",
        metavar="STD",
        help="your encoder's posterior standard deviations, same shape and order as the latents: "
        "the flow then trains on fresh posterior samples (validation on the means)",
    )
    p.add_argument("--out", required=True, metavar="PLUGIN.pt", help="checkpoint to write")
    p.add_argument(
        "--kinds",
        metavar="A=KIND,...",
        help="override inferred kinds, e.g. smile=binary,age=continuous (inferred: 0/1 or "
        "-1/1 columns are binary, others continuous)",
    )
    p.add_argument("--epochs", type=int, help="at most this many epochs (default 200)")
    p.add_argument(
        "--patience",
        type=int,
        help="stop after this many epochs without validation improvement (default 15)",
    )
    p.add_argument("--batch-size", type=int, help="examples per step (default 256)")
    p.add_argument("--lr", type=float, help="Adam, halved on a plateau (default 1e-3)")
    p.add_argument(
        "--coupling", choices=["nice", "affine"], help="coupling layers (default nice, the paper's)"
    )
    p.add_argument("--couplings", type=int, help="number of coupling layers (default 6)")
    p.add_argument("--layers", type=int, help="linear layers per coupling net (default 4)")
    p.add_argument("--hidden", type=int, help="coupling net width (default 256)")
    p.add_argument("--sigma", type=float, help="label spread around -1/+1 (default 0.4)")
    p.add_argument("--seed", type=int, default=0, help="splits, initialisation, batches")
    common.add_w_plus(p)
    common.add_device(p)
    p.set_defaults(func=run)


def _settings(args: argparse.Namespace) -> tuple[dict, dict]:
    """(flow settings, training settings) the user gave; the rest keep the dataclasses'
    defaults, which the workflow's schema repeats."""
    flow = {
        "coupling": args.coupling,
        "n_couplings": args.couplings,
        "n_layers": args.layers,
        "hidden": args.hidden,
        "sigma": args.sigma,
    }
    train = {
        "epochs": args.epochs,
        "patience": args.patience,
        "batch_size": args.batch_size,
        "lr": args.lr,
    }
    given = lambda d: {k: v for k, v in d.items() if v is not None}  # noqa: E731
    return given(flow), given(train)


def _held_out_summary(model, z: np.ndarray, labels, kinds: dict[str, str]) -> str:
    """Held-out labels read off the flow's label coordinates, scored: one line."""
    import pandas as pd

    from plugen.evaluate.metrics import score_attributes

    coords = model.label_coordinates(z)
    preds = pd.DataFrame({f"pred_{a}": coords[a] for a in kinds})
    scores = score_attributes(labels, preds, kinds)
    parts = [
        f"{a} accuracy {s['accuracy']:.3f}" if kinds[a] == "binary" else f"{a} MAE {s['mae']:.4g}"
        for a, s in scores.items()
    ]
    return ", ".join(parts)


def run(args: argparse.Namespace) -> int:
    from plugen.data.user import load_user_data
    from plugen.model import PluGeN

    data = load_user_data(
        args.latents,
        args.labels,
        common.parse_kinds(args.kinds),
        args.w_plus,
        args.seed,
        args.latents_std,
    )
    if data.layers:
        policy = "layer 0 kept" if args.w_plus == "first" else "mean over the layers"
        log.warning(
            "%s: latents of shape (%d, %d, %d) are read as W+ (n, L, d) and reduced to (n, d) "
            "by --w-plus %s (%s); --w-plus first|mean picks the policy",
            args.latents,
            len(data.z),
            data.layers,
            data.z.shape[1],
            args.w_plus,
            policy,
        )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)  # fail before training, not after
    dev = common.device(args.device)
    fit_rows = (data.frame["split"] != "test").to_numpy()
    flow, train = _settings(args)
    kinds_text = ", ".join(f"{a} ({k})" for a, k in data.kinds.items())
    print(
        f"{len(data.z)} latents of width {data.z.shape[1]}"
        f"{f' (W+ with {data.layers} layers, {args.w_plus})' if data.layers else ''}"
        f"{' with a posterior spread (training on samples)' if data.z_std is not None else ''}; "
        f"attributes {kinds_text}; device {dev}"
    )
    model = PluGeN(data.z.shape[1], data.attributes, data.kinds, device=dev, **flow)
    c = model.config
    print(
        f"flow {c.coupling} {c.n_couplings} couplings x {c.n_layers} layers, hidden {c.hidden}, "
        f"sigma {c.sigma:g}"
    )
    validation = None
    split = data.frame.loc[fit_rows, "split"].to_numpy()
    if data.split_given and (split == "val").any() and (split == "train").any():
        validation = split == "val"
        print(f"early stopping on the labels' val split ({int(validation.sum())} rows)")
    t0 = time.perf_counter()
    hist = model.fit(
        data.z[fit_rows],
        data.frame.loc[fit_rows, data.attributes],
        z_std=None if data.z_std is None else data.z_std[fit_rows],
        validation=validation,
        seed=args.seed,
        progress=not args.quiet,
        **train,
    )
    best = min(hist, key=lambda row: row.get("val_loss", row["train_loss"]))
    print(
        f"trained {len(hist)} epochs on {int(fit_rows.sum())} latents in "
        f"{time.perf_counter() - t0:.1f} s; best val loss "
        f"{best.get('val_loss', float('nan')):.4g} at epoch {best['epoch']}"
    )
    model.to("cpu")  # label_coordinates returns numpy through CPU tensors
    if not fit_rows.all():
        test = data.frame.loc[~fit_rows].reset_index(drop=True)
        summary = _held_out_summary(model, data.z[~fit_rows], test, data.kinds)
        print(f"held-out test ({len(test)} latents), labels read off the flow: {summary}")
    model.save(args.out)
    print(f"wrote {args.out}")
    return 0
