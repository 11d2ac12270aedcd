"""Throughput of RDKit labelling (logP, TPSA, SAS) with 1 vs 2 worker processes.

Usage: python benchmarks/labeling_speed.py [--csv MOSES_OR_ZINC.csv[.gz]] [-n 20000]
Without --csv it labels a fixed set of drug-like SMILES repeated to N molecules.
Target: >= 1.8x speed-up with 2 processes on an otherwise idle 2-core machine. The load
average and the CPU seconds (parent + workers) are printed too: when other jobs share the
cores the wall-clock ratio drops, while equal CPU seconds show the parallel code wastes nothing.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

from plugen.experiments.molecules.data import label_molecules, read_smiles_csv

DRUGS = [
    "CC(=O)Oc1ccccc1C(=O)O",
    "CC(C)Cc1ccc(C(C)C(=O)O)cc1",
    "CN1C=NC2=C1C(=O)N(C(=O)N2C)C",
    "CC(=O)Nc1ccc(O)cc1",
    "COc1ccc2[nH]cc(CCN(C)C)c2c1",
    "O=C(O)c1ccccc1O",
    "CN1CCC[C@H]1c1cccnc1",
    "Clc1ccc(cc1)C(c1ccccc1)N1CCN(CC1)CCOCC(=O)O",
]


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", help="csv with a SMILES column (default: built-in molecules)")
    parser.add_argument("-n", type=int, default=20000, help="molecules to label")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=3, help="runs per setting; the best counts")
    args = parser.parse_args()
    if args.csv:
        smiles = read_smiles_csv(args.csv, limit=args.n, seed=0).smiles
    else:
        smiles = (DRUGS * (args.n // len(DRUGS) + 1))[: args.n]
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} before the run")
    times = {}
    for _ in range(args.repeat):  # interleaved, so a burst of outside load hits both settings
        for p in args.processes:
            start, cpu = time.perf_counter(), _cpu_seconds()
            df, _ = label_molecules(smiles, processes=p)
            took = time.perf_counter() - start
            times[p] = min(times.get(p, took), took)
            print(
                f"processes={p}: {len(smiles)} molecules in {took:.2f} s "
                f"({len(smiles) / took:.0f} molecules/s, {_cpu_seconds() - cpu:.2f} CPU s), "
                f"{len(df)} kept"
            )
    print(f"load average {os.getloadavg()[0]:.2f} after the runs; best of {args.repeat} counts")
    base = args.processes[0]
    for p in args.processes[1:]:
        print(f"speed-up {p} vs {base} processes: {times[base] / times[p]:.2f}x")


if __name__ == "__main__":
    main()
