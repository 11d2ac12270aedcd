"""``plugen evaluate``: the workflow's image tasks on a plugin and the user's own files.

The files are read as the ``custom`` experiment reads them (a workflow config's ``custom``
section, or the same keys as options), and each task runs through the library calls the
workflow's ``sample``, ``score`` and ``evaluate_task`` jobs make: the same requests for the same
seed, decoded by the user's decoder, read by the user's judge, scored into the same table.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from plugen.commands import common

EXAMPLE = (
    "example: plugen evaluate --plugin plugin.pt --latents z.npy --labels labels.csv "
    "--decoder dec.pt --judge judge.pt --out metrics/   (or --config my.yaml: its custom section)"
)


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "evaluate",
        help="score a plugin on your files with the workflow's tasks and judge",
        description="Run the workflow's image tasks (generation, manipulation, flip, gradual: "
        "those your attributes allow) with a plugin on the test rows of your latents, decode "
        "the answers with your decoder, read them with your judge and print each task's "
        "metrics table (and write it as <out>/<task>.parquet). Settings come from --config's "
        "custom section (the workflow's numbers for the same plugin) or from the options; "
        "task settings not given take the workflow's defaults.",
        epilog=EXAMPLE,
    )
    p.add_argument("--plugin", required=True, metavar="PLUGIN.pt")
    p.add_argument(
        "--config", metavar="CONFIG.yaml", help="a workflow config with a custom section"
    )
    p.add_argument("--latents", metavar="Z", help=".npy, .pt or .parquet (custom.latents)")
    p.add_argument("--labels", metavar="LABELS.csv", help="custom.labels")
    p.add_argument("--decoder", metavar="DEC.pt", help="TorchScript decoder (custom.decoder)")
    p.add_argument("--judge", metavar="JUDGE.pt", help="TorchScript judge (custom.classifier)")
    p.add_argument(
        "--judge-outputs",
        metavar="A,B",
        help="the judge's columns, comma-separated (default: every attribute)",
    )
    p.add_argument("--kinds", metavar="NAME=KIND,...", help="binary|continuous overrides")
    p.add_argument(
        "--image-range", nargs=2, type=float, metavar=("LOW", "HIGH"), help="default 0 1"
    )
    p.add_argument("--tasks", metavar="T,T", help="tasks to run (default: every one that applies)")
    p.add_argument("--seed", type=int, help="splits and requests (default: the config's, or 0)")
    p.add_argument("--out", metavar="DIR", help="write <DIR>/<task>.parquet")
    common.add_w_plus(p)
    common.add_device(p)
    p.set_defaults(func=evaluate)


def _config(args: argparse.Namespace) -> dict[str, Any]:
    """The validated config of a ``custom`` run on the user's files: ``--config``'s, with the
    options given over it."""
    from plugen.config import read_yaml, validate_config

    raw = read_yaml(args.config) if args.config else {}
    custom = dict(raw.get("custom", {}))
    given = {
        "latents": args.latents,
        "labels": args.labels,
        "decoder": args.decoder,
        "classifier": args.judge,
        "image_range": list(args.image_range) if args.image_range else None,
        "classifier_outputs": args.judge_outputs.split(",") if args.judge_outputs else None,
        "kinds": common.parse_kinds(args.kinds),
    }
    custom.update({k: v for k, v in given.items() if v is not None})
    if args.w_plus != "first" or "w_plus" not in custom:
        custom["w_plus"] = args.w_plus
    if args.tasks:
        custom.setdefault("tasks", {})["run"] = args.tasks.split(",")
    missing = [k for k in ("latents", "labels", "decoder", "classifier") if not custom.get(k)]
    if missing:
        options = {"classifier": "--judge"}
        names = [options.get(k, f"--{k}") for k in missing]
        raise ValueError(f"needs {', '.join(names)} (or a --config whose custom section has them)")
    seed = args.seed if args.seed is not None else raw.get("seed", 0)
    source = args.config or "options"
    return validate_config(
        {"seed": seed, "experiments": ["custom"], "custom": custom}, None, source
    )


def evaluate(args: argparse.Namespace) -> int:
    from plugen import experiments, io, tasks
    from plugen.backbones import judged_decoder
    from plugen.editors import load_editor
    from plugen.evaluate.judge import load_judge

    config = _config(args)
    spec = experiments.get("custom")
    dev = common.device(args.device)
    model = load_editor("plugen", args.plugin, dev)
    frame, z = spec.load_latents(config)
    if z.shape[1] != model.latent_dim:
        raise ValueError(f"{args.plugin}: expects {model.latent_dim}-d latents, got {z.shape[1]}")
    if list(model.kinds) != list(spec.attributes(config)):
        raise ValueError(
            f"{args.plugin}: its attributes {list(model.kinds)} are not the labels' "
            f"{list(spec.attributes(config))}"
        )
    test = (frame["split"] == "test").to_numpy()
    sources = frame[test].reset_index(drop=True)
    source_z = dict(zip(sources["id"], z[test]))
    decode = judged_decoder(spec.decoder(config).as_dict(), dev)
    judge = load_judge(spec.judge(config).as_dict(), spec.attributes(config), dev)
    binary = [a for a in spec.judged(config) if a in spec.binary(config)]
    seed, sections = config["seed"], config["custom"]["tasks"]
    for task in spec.judged_tasks(config):
        cfg = sections[task]
        requests = tasks.build_requests(task, cfg, sources, model.kinds, seed)
        zs = tasks.run_requests(model, requests, source_z, cfg.get("temperature", 1.0), seed)
        scores = judge(decode(zs))
        scores.insert(0, "sample_id", requests["sample_id"].to_numpy())
        table = tasks.score_task(task, requests, scores, frame, binary, spec.heldout(config))
        print(f"{task} ({len(requests)} samples):\n{table.to_string(index=False)}\n")
        if args.out:
            io.write_table(Path(args.out) / f"{task}.parquet", table, io.METRICS)
    if args.out:
        print(f"wrote the tables to {args.out}/")
    return 0
