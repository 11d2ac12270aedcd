"""The molecule backbones behind one interface (``molecules.backbone.kind``).

``charvae``: the character-level VAE (:mod:`.charvae`; the shipped weights, a user's file, or
one trained in the run). ``jtvae``: the Junction Tree VAE with its published ZINC weights
(:mod:`.jtvae`). The rules encode, decode and report through :func:`load_backbone`, so the
tasks and their tables do not depend on which backbone made the latents.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

KINDS = ("charvae", "jtvae")


class MoleculeBackbone:
    """SMILES <-> latents. ``decode`` gives ``""`` where no valid molecule comes out."""

    kind: str = ""
    latent_dim: int = 0
    processes: int = 1

    def __init__(self) -> None:
        #: (what, molecules, seconds, processes) of every decode call, for the timing table
        self.timings: list[tuple[str, int, float, int]] = []

    def posterior(self, smiles: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and standard deviation, float32 ``(n, latent_dim)`` each."""
        raise NotImplementedError

    def encode(self, smiles: Sequence[str]) -> np.ndarray:
        """Posterior means float32 ``(n, latent_dim)``."""
        return self.posterior(smiles)[0]

    def _decode(self, z: np.ndarray) -> list[str]:
        raise NotImplementedError

    def decode(self, z: np.ndarray, what: str = "decode") -> list[str]:
        """SMILES of latents ``z`` ``(n, latent_dim)``; the call is timed (``timings``)."""
        z = np.asarray(z, dtype=np.float32)
        start = time.perf_counter()
        out = self._decode(z)
        seconds = time.perf_counter() - start
        self.timings.append((what, len(out), seconds, self.processes))
        log.info(
            "%s: decoded %d latents in %.1f s (%.1f molecules/s, %d process(es))",
            self.kind,
            len(out),
            seconds,
            len(out) / max(seconds, 1e-9),
            self.processes,
        )
        return out


class CharVAEBackbone(MoleculeBackbone):
    """A loaded :class:`plugen.experiments.molecules.charvae.CharVAE` (batched on its device)."""

    kind = "charvae"

    def __init__(self, vae) -> None:
        super().__init__()
        self.vae = vae
        self.latent_dim = vae.latent_dim

    def posterior(self, smiles: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        return self.vae.posterior_smiles(list(smiles))

    def encode(self, smiles: Sequence[str]) -> np.ndarray:
        return self.vae.encode_smiles(list(smiles))

    def _decode(self, z: np.ndarray) -> list[str]:
        return self.vae.decode_latents(z)


def load_backbone(
    kind: str, path: str | Path, device: str = "cpu", processes: int = 1
) -> MoleculeBackbone:
    """The backbone of ``kind``: ``path`` is the CharVAE file (``charvae``) or the pinned
    ``jtnnencoder`` wheel (``jtvae``, run on the CPU in ``processes`` forked workers)."""
    if kind == "charvae":
        from plugen.experiments.molecules.charvae import CharVAE

        return CharVAEBackbone(CharVAE.load(path, device))
    if kind == "jtvae":
        from plugen.experiments.molecules.jtvae import JTVAEBackbone

        return JTVAEBackbone.load(path, processes)
    raise ValueError(f"molecules.backbone.kind must be one of {list(KINDS)}, got {kind!r}")


def timing_frame(backbone: MoleculeBackbone):
    """The ``decoding`` timing table: one row per decode call (``backbone``, ``what``, ``n``,
    ``seconds``, ``molecules_per_s``, ``processes``)."""
    import pandas as pd

    rows = [
        {
            "backbone": backbone.kind,
            "what": what,
            "n": n,
            "seconds": round(seconds, 2),
            "molecules_per_s": round(n / max(seconds, 1e-9), 1),
            "processes": procs,
        }
        for what, n, seconds, procs in backbone.timings
    ]
    cols = ["backbone", "what", "n", "seconds", "molecules_per_s", "processes"]
    return pd.DataFrame(rows, columns=cols)
