"""Process set-up shared by the workflow scripts: logging to the rule's log, threads, device.

Jobs that never touch torch (scoring, summary, RDKit) say so with ``uses_torch=False`` and do
not load it (about 1.5 s of start-up each).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

_THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def setup(
    log_path: str,
    threads: int = 1,
    device: str = "auto",
    gpus: int = 0,
    uses_torch: bool = True,
) -> tuple[logging.Logger, torch.device | str]:
    """Send logging (and warnings) to ``log_path`` and stderr; pin torch (and OpenMP/BLAS) to
    ``threads``; pick the device (CUDA only when the job was granted ``gpus`` > 0 and it is
    available). ``uses_torch=False``: torch is not imported and the device is ``"cpu"``."""
    # SIGTERM (a scheduler's cancel) exits through Python, so atomic writes clean up their
    # temporary files and no half-written output is left behind
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    handlers = [logging.FileHandler(log_path, mode="w"), logging.StreamHandler(sys.stderr)]
    logging.basicConfig(
        level=logging.INFO,
        handlers=handlers,
        force=True,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.captureWarnings(True)
    threads = max(1, int(threads))
    for var in _THREAD_VARS:
        os.environ[var] = str(threads)
    dev: torch.device | str = "cpu"
    if uses_torch:
        import torch

        from plugen.nn import resolve_device

        torch.set_num_threads(threads)
        dev = resolve_device(device if gpus else "cpu", gpus)
    logger = logging.getLogger("plugen")
    logger.info("threads=%d device=%s", threads, dev)
    if "SLURM_JOB_ID" in os.environ:
        logger.info("SLURM_JOB_ID=%s on %s", os.environ["SLURM_JOB_ID"], os.uname().nodename)
    return logger, dev


def is_import_path(text: str) -> bool:
    """``"package.module:name"`` that is not an existing file (a loader, not a file path)."""
    module, sep, name = str(text).partition(":")
    return (
        bool(sep)
        and not os.path.exists(text)
        and module.replace(".", "").isidentifier()
        and name.isidentifier()
    )


def benchmark_seconds(path: str) -> float:
    """Wall-clock seconds of a finished job from its Snakemake benchmark file (NaN when the
    file is gone: benchmarks are records, not inputs, so deleting them reruns nothing)."""
    try:
        with open(path) as fh:
            header, row = fh.readline().split("\t"), fh.readline().split("\t")
        return float(row[header.index("s")])
    except (OSError, ValueError, IndexError):
        return float("nan")


def setup_job(job: Any, uses_torch: bool = True) -> tuple[logging.Logger, torch.device | str]:
    """:func:`setup` for a workflow script's ``snakemake`` object: its log, threads, the
    ``device`` param (default cpu) and the ``gpu`` resource it was granted."""
    device = job.params.get("device", "cpu")
    return setup(job.log[0], job.threads, device, getattr(job.resources, "gpu", 0), uses_torch)


def progress(iterable, total: int, enabled: bool, desc: str):
    """``iterable`` behind a tqdm bar (every 2 s) when ``enabled`` and tqdm is installed."""
    if not enabled:
        return iterable
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is optional (the "pipeline" extra): no bar without it
        return iterable
    return tqdm(iterable, total=total, desc=desc, leave=False, mininterval=2.0)
