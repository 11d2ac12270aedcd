"""plugen: train and use PluGeN plugins on your own latents, without the workflow.

  plugen train --latents z.npy --labels labels.csv --out plugin.pt
  plugen generate --plugin plugin.pt --set smile=1 --n 64 --out z.npy
  plugen manipulate --plugin plugin.pt --latents z.npy --set smile=0 --out z2.npy
  plugen encode --plugin plugin.pt --latents z.npy --out labels.csv
  plugen info plugin.pt
  plugen explain --plugin plugin.pt --decoder dec.pt --model f.pt --latents z.npy --out cf.parquet

Bad input (unknown attribute, wrong value, missing or foreign file) exits with code 2 and one
line on stderr. "plugen demo" checks the install on synthetic latents; "plugen
validate-config" checks a workflow config. "plugen VERB --help" describes each verb.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

import numpy as np


def synthetic_task(n: int, dim: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Latents ``(n, dim)`` with labels that are a known function of z (2 binary, 1 continuous)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, dim)).astype(np.float32)
    return z, synthetic_labels(z)


def synthetic_labels(z: np.ndarray) -> np.ndarray:
    """The known labelling of :func:`synthetic_task`: columns ``a``, ``b`` (binary), ``h``."""
    return np.stack(
        [z[:, 0] + z[:, 1] > 0, z[:, 2] - 0.5 * z[:, 3] > 0.3, z[:, 4] + 0.5 * z[:, 5]], 1
    ).astype(np.float32)


def demo(args: argparse.Namespace) -> int:
    if args.dim < 6:
        print(
            f"plugen demo: --dim {args.dim} is too small; the synthetic labels read "
            "z[:, 0] to z[:, 5], so use --dim 6 or more",
            file=sys.stderr,
        )
        return 2
    from plugen import PluGeN

    z, y = synthetic_task(args.n, args.dim, args.seed)
    y_train = y.copy()
    if args.missing > 0:
        y_train[np.random.default_rng(args.seed + 1).random(y.shape) < args.missing] = np.nan
    model = PluGeN(args.dim, ["a", "b", "h"], {"h": "continuous"}, hidden=args.hidden)
    t0 = time.perf_counter()
    hist = model.fit(
        z,
        y_train,
        epochs=args.epochs,
        batch_size=256,
        lr=args.lr,
        seed=args.seed,
        progress=not args.quiet,
    )
    print(
        f"trained {len(hist)} epochs in {time.perf_counter() - t0:.1f} s; "
        f"val NLL {hist[-1].get('val_loss', float('nan')):.3f}"
    )
    for a in (0, 1):
        for b in (0, 1):
            lab = synthetic_labels(model.generate({"a": a, "b": b}, n=1000, seed=args.seed))
            print(
                f"generate a={a} b={b}: accuracy a {np.mean(lab[:, 0] == a):.3f}, "
                f"b {np.mean(lab[:, 1] == b):.3f}"
            )
    test = synthetic_task(2000, args.dim, args.seed + 7)[0]
    before = synthetic_labels(test)
    target = 1 - before[:, 0]
    after = np.empty_like(before)
    for v in (0, 1):
        after[target == v] = synthetic_labels(model.manipulate(test[target == v], {"a": v}))
    print(
        f"manipulate a: flipped {np.mean(after[:, 0] == target):.3f}, "
        f"b kept {np.mean(after[:, 1] == before[:, 1]):.3f}"
    )
    return 0


def validate(args: argparse.Namespace) -> int:
    from plugen.config import load_config

    load_config(args.config)
    print(f"{args.config}: valid")
    return 0


def config_reference(args: argparse.Namespace) -> int:
    """Print the config reference (config/README.md) generated from the schemas."""
    from plugen.config import config_reference as reference

    print(reference(), end="")
    return 0


def _add_run_options(p: argparse.ArgumentParser) -> None:
    """``--threads`` and ``--quiet``, on every verb."""
    p.add_argument(
        "--threads",
        type=int,
        metavar="N",
        help="torch CPU threads (default: torch's, which follows OMP_NUM_THREADS)",
    )
    p.add_argument(
        "--quiet",
        action="store_true",
        help="no progress bar or per-epoch lines: results, warnings and errors only",
    )


def main(argv: list[str] | None = None) -> int:
    """Run the ``plugen`` command line on ``argv`` (default: ``sys.argv[1:]``); returns the
    exit code: 0, or 2 with one line ``plugen <verb>: <message>`` on stderr for bad input."""
    from plugen.commands import add_parsers

    parser = argparse.ArgumentParser(
        prog="plugen", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="VERB")
    add_parsers(sub)
    p = sub.add_parser("demo", help="train PluGeN on synthetic latents and print accuracies")
    p.add_argument("--n", type=int, default=10000)
    p.add_argument("--dim", type=int, default=16)
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--missing", type=float, default=0.0, help="fraction of labels hidden")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=demo)
    p = sub.add_parser("validate-config", help="check a workflow config against the schema")
    p.add_argument("config")
    p.set_defaults(func=validate)
    p = sub.add_parser(
        "config-reference", help="print every config key with its type, default and meaning"
    )
    p.set_defaults(func=config_reference)
    for verb in sub.choices.values():
        _add_run_options(verb)
    args = parser.parse_args(argv)
    level = logging.WARNING if args.quiet else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(message)s")
    if args.threads is not None:
        if args.threads < 1:
            print(f"plugen {args.command}: --threads must be >= 1", file=sys.stderr)
            return 2
        import torch

        torch.set_num_threads(args.threads)
    try:
        return args.func(args)
    except (ValueError, OSError, FloatingPointError) as exc:
        for line in str(exc).splitlines() or [type(exc).__name__]:  # one line per problem
            print(f"plugen {args.command}: {line.strip()}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
