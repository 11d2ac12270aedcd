"""Fixtures shared across the test folders: synthetic latents, one torch thread, and the runner of
the real ``snakemake`` command (the checkout's paths are in ``tests/paths.py``)."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from plugen.cli import synthetic_labels
from tests.paths import SNAKEFILE


@pytest.fixture(scope="session")
def synthetic_latents():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(6000, 12)).astype(np.float32)
    z[:, 6:] *= 0.3  # uneven scales, like a real VAE latent
    z[:, 2] += 0.5 * z[:, 0]  # correlated attributes
    return z, synthetic_labels(z)


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """Tests run beside each other on 2 cores: one thread each avoids oversubscription."""
    import torch

    torch.set_num_threads(1)


def _snakemake(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(SNAKEFILE),
        "-d",
        str(workdir),
        "--cores",
        "2",
        *args,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=workdir)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


@pytest.fixture(scope="session")
def snakemake():
    """``snakemake(workdir, *args, check=True)``: the real command on the checkout's Snakefile
    in ``workdir`` with 2 cores; raises with the output's tail when it fails and ``check``."""
    return _snakemake
