"""Training throughput of PluGeN.fit vs a bare torch loop of the same NICE; encode/decode latency.

Prints samples/s of both and their ratio (target >= 0.9x), then per-sample latencies.
Usage: python benchmarks/flow_throughput.py [--n 20000] [--dim 64] [--epochs 5]
"""

from __future__ import annotations

import argparse
import time

import torch

from plugen import PluGeN
from plugen.cli import synthetic_task
from plugen.flows import NICE
from plugen.priors import PluGeNPrior


def bare_loop(z: torch.Tensor, y: torch.Tensor, args) -> float:
    torch.manual_seed(0)
    flow = NICE(args.dim, 4, 4, args.hidden)
    prior = PluGeNPrior(["binary", "binary", "continuous"], args.dim - 3, 0.4)
    opt = torch.optim.Adam(flow.parameters(), lr=1e-4)
    n_train = int(len(z) * 0.9)  # same work as fit(): 10% held out and evaluated each epoch
    t0 = time.perf_counter()
    for _ in range(args.epochs):
        perm = torch.randperm(n_train)
        for i in range(0, n_train, args.batch_size):
            idx = perm[i : i + args.batch_size]
            cs, logdet = flow(z[idx])
            label, style = prior.log_prob(cs, y[idx])
            loss = -(label + style + logdet).mean()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(flow.parameters(), 1.0)
            opt.step()
        with torch.no_grad():
            for i in range(n_train, len(z), args.batch_size):
                cs, logdet = flow(z[i : i + args.batch_size])
                prior.log_prob(cs, y[i : i + args.batch_size])
    return args.epochs * n_train / (time.perf_counter() - t0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--n", type=int, default=20000)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    z_np, y_np = synthetic_task(args.n, args.dim, 0)
    bare = bare_loop(torch.from_numpy(z_np), torch.from_numpy(y_np), args)
    m = PluGeN(args.dim, ["a", "b", "h"], {"h": "continuous"}, hidden=args.hidden)
    t0 = time.perf_counter()
    m.fit(z_np, y_np, epochs=args.epochs, batch_size=args.batch_size, lr=1e-4, patience=None)
    ours = args.epochs * int(args.n * 0.9) / (time.perf_counter() - t0)
    print(f"bare torch loop : {bare:10.0f} samples/s")
    print(f"PluGeN.fit      : {ours:10.0f} samples/s")
    print(f"ratio           : {ours / bare:10.2f}x (target >= 0.9x)")
    for n in (1, 256):
        z = z_np[:n]
        for name, fn in [
            ("encode", lambda z=z: m.encode(z)),
            ("encode+decode", lambda z=z: m.decode(*m.encode(z))),
        ]:
            fn()
            reps = 200 if n == 1 else 20
            t0 = time.perf_counter()
            for _ in range(reps):
                fn()
            per = (time.perf_counter() - t0) / reps / n
            print(f"{name:13s} latency (batch {n:3d}): {per * 1e6:8.1f} us/sample")


if __name__ == "__main__":
    main()
