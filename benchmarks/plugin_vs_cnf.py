"""PluGeN vs the StyleFlow-style conditional CNF (and cFlow): training and editing speed.

Same synthetic latents (d=64 like the shapes VAE, k=6 attributes), same device, same threads,
interleaved runs (PluGeN, cFlow, CNF, PluGeN, cFlow, CNF, ...):
- training throughput: samples/s of ``fit`` for one epoch of ``--steps`` batches of
  ``--batch-size`` (no validation split), each method's own training loop (plugen.train.train);
- editing latency: ms per image of ``manipulate`` at batch 1 and 256 (median of the calls made
  in ``--min-seconds``, via plugen.tasks.manipulation_latency), measured after that training.
Reported numbers are medians over ``--repeats`` rounds. The last line is
``train_speedup_vs_cnf=X latency_speedup_vs_cnf=Y``: CNF time / PluGeN time, training and
batch-1 editing latency.
Usage: python benchmarks/plugin_vs_cnf.py [--steps 16] [--repeats 5] [--threads 2]
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np
import torch

from plugen import PluGeN
from plugen.baselines import CNF, CFlow
from plugen.tasks import manipulation_latency

ATTRS = ["a", "b", "c", "e", "h", "w"]
KINDS = {"h": "continuous", "w": "continuous"}


def synthetic(n: int, dim: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Latents ``(n, dim)`` and 6 labels (4 binary, 2 continuous), known functions of z."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, dim)).astype(np.float32)
    y = np.stack(
        [
            z[:, 0] + z[:, 1] > 0,
            z[:, 2] - 0.5 * z[:, 3] > 0.3,
            z[:, 6] > 0,
            z[:, 7] + z[:, 8] > 0.5,
            z[:, 4] + 0.5 * z[:, 5],
            z[:, 9],
        ],
        1,
    )
    return z, y.astype(np.float32)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


class WithSourceLabels:
    """``manipulate(z, values)`` of an editor that needs source labels (the first rows of y)."""

    def __init__(self, model, y: np.ndarray) -> None:
        self.model, self.y = model, y

    def manipulate(self, z: np.ndarray, values):
        return self.model.manipulate(z, values, source_labels=np.resize(self.y, (len(z), 6)))


def build(name: str, dim: int, args):
    if name == "plugen":
        return PluGeN(dim, ATTRS, KINDS)
    if name == "cflow":
        return CFlow(dim, ATTRS, KINDS)
    return CNF(dim, ATTRS, KINDS, inference_dtype=args.cnf_dtype)


def one_round(name: str, z: np.ndarray, y: np.ndarray, args) -> dict[str, float]:
    torch.manual_seed(0)
    model = build(name, z.shape[1], args)
    n = args.steps * args.batch_size
    t0 = time.perf_counter()
    model.fit(z[:n], y[:n], epochs=1, batch_size=args.batch_size, lr=1e-4, val_fraction=0.0)
    train_s = time.perf_counter() - t0
    editor = model if name == "plugen" else WithSourceLabels(model, y)
    lat = manipulation_latency(
        editor, z[:256], {"a": 1.0}, batch_sizes=(1, 256), min_seconds=args.min_seconds
    )
    ms = dict(zip(lat["batch_size"], lat["flow_ms_per_image"]))
    return {"samples_per_s": n / train_s, "ms_b1": ms[1], "ms_b256": ms[256]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--steps", type=int, default=16, help="training batches per run")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--repeats", type=int, default=5, help="interleaved rounds")
    p.add_argument("--min-seconds", type=float, default=1.0, help="per latency measurement")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--cnf-dtype", default="float64", choices=["float32", "float64"])
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    z, y = synthetic(max(args.steps * args.batch_size, 256), args.dim, 0)
    print(f"machine: {cpu_model()}; torch {torch.__version__}; threads {torch.get_num_threads()}")
    print(
        f"d={args.dim} k={len(ATTRS)} batch {args.batch_size}, {args.steps} steps per run, "
        f"{args.repeats} interleaved rounds, CNF inference in {args.cnf_dtype}"
    )
    names = ["plugen", "cflow", "cnf"]
    runs: dict[str, list[dict[str, float]]] = {n: [] for n in names}
    for r in range(args.repeats):
        for name in names:
            runs[name].append(one_round(name, z, y, args))
            print(
                f"round {r + 1} {name:6s} "
                + " ".join(f"{k}={v:.4g}" for k, v in runs[name][-1].items())
            )
    med = {
        n: {k: float(np.median([row[k] for row in rs])) for k in rs[0]} for n, rs in runs.items()
    }
    print(f"{'method':8s} {'train samples/s':>16s} {'ms/img b=1':>12s} {'ms/img b=256':>13s}")
    for n in names:
        m = med[n]
        print(f"{n:8s} {m['samples_per_s']:16.0f} {m['ms_b1']:12.3f} {m['ms_b256']:13.4f}")
    for other in ("cflow", "cnf"):
        train_ratio = med["plugen"]["samples_per_s"] / med[other]["samples_per_s"]
        print(
            f"{other} / plugen: train time x{train_ratio:.1f}, "
            f"latency b=1 x{med[other]['ms_b1'] / med['plugen']['ms_b1']:.1f}, "
            f"b=256 x{med[other]['ms_b256'] / med['plugen']['ms_b256']:.1f}"
        )
    train_speedup = med["plugen"]["samples_per_s"] / med["cnf"]["samples_per_s"]
    latency_speedup = med["cnf"]["ms_b1"] / med["plugen"]["ms_b1"]
    print(f"train_speedup_vs_cnf={train_speedup:.2f} latency_speedup_vs_cnf={latency_speedup:.2f}")


if __name__ == "__main__":
    main()
