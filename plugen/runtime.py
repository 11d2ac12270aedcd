"""Process set-up shared by the workflow scripts: logging to the rule's log, threads, device."""

from __future__ import annotations

import importlib
import logging
import os
import sys
from typing import Any

import torch

from plugen.train import resolve_device


def setup(
    log_path: str, threads: int = 1, device: str = "auto", gpus: int = 0
) -> tuple[logging.Logger, torch.device]:
    """Send logging (and warnings) to ``log_path`` and stderr; pin torch to ``threads``;
    pick the device (CUDA only when the job was granted ``gpus`` > 0 and it is available)."""
    handlers = [logging.FileHandler(log_path, mode="w"), logging.StreamHandler(sys.stderr)]
    logging.basicConfig(
        level=logging.INFO,
        handlers=handlers,
        force=True,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.captureWarnings(True)
    torch.set_num_threads(max(1, int(threads)))
    dev = resolve_device(device if gpus else "cpu", gpus)
    logger = logging.getLogger("plugen")
    logger.info("threads=%d device=%s", threads, dev)
    if "SLURM_JOB_ID" in os.environ:
        logger.info("SLURM_JOB_ID=%s on %s", os.environ["SLURM_JOB_ID"], os.uname().nodename)
    return logger, dev


def import_object(spec: str) -> Any:
    """``"package.module:NAME"`` -> that object (lets rules name library objects without
    importing the library when the Snakefile is parsed)."""
    module, _, name = spec.partition(":")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as e:
        raise ValueError(f"cannot import {spec!r} (expected 'package.module:NAME'): {e}") from e


def setup_job(job: Any) -> tuple[logging.Logger, torch.device]:
    """:func:`setup` for a workflow script's ``snakemake`` object: its log, threads, the
    ``device`` param (default cpu) and the ``gpu`` resource it was granted."""
    device = job.params.get("device", "cpu")
    return setup(job.log[0], job.threads, device, getattr(job.resources, "gpu", 0))
