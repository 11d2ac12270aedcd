"""The workflow tests' shared builders: a fabricated ``custom`` user model (latents from a fixed
nonlinear map, a TorchScript decoder, judge and decision model, labels with 30% empty cells), its
config section, and the hashes of a run's results/ (the ``snakemake`` runner is in the root
conftest.py)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

D = 8  # the user's latent width


def orthogonal(d: int, seed: int) -> np.ndarray:
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(d, d)))
    return q.astype(np.float32)


def factors_to_latents(u: np.ndarray, q: np.ndarray) -> np.ndarray:
    """The user's backbone latent: a fixed nonlinear, invertible map of the true factors."""
    return (np.sinh(u) @ q.T).astype(np.float32)


class Decoder(torch.nn.Module):
    """z (n, 8) -> images (n, 3, 8, 8): channel c of the top half shows sigmoid(u_c)."""

    def __init__(self, q: np.ndarray) -> None:
        super().__init__()
        self.register_buffer("q", torch.from_numpy(q))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        u = torch.asinh(z @ self.q)
        img = torch.full((z.shape[0], 3, 8, 8), 0.5)
        img[:, :, :4, :] = torch.sigmoid(u[:, :3])[:, :, None, None]
        return img


class Judge(torch.nn.Module):
    """images (n, 3, 8, 8) in [0, 1] -> (smile logit 4 u_0, glasses logit 4 u_1, age in years)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p = x[:, :, :4, :].mean((2, 3)).clamp(1e-4, 1 - 1e-4)
        u = torch.log(p / (1 - p))
        return torch.stack([4.0 * u[:, 0], 4.0 * u[:, 1], 40 + 10 * u[:, 2]], 1)


class SmileDecision(torch.nn.Module):
    """images (n, 3, 8, 8) -> one logit per image, > 0 iff smiling: depends on smile alone."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p = x[:, 0, :4, :].mean((1, 2)).clamp(1e-4, 1 - 1e-4)
        return 4.0 * torch.log(p / (1 - p))


def sphere(n: int) -> np.ndarray:
    """``n`` points spread over the unit sphere (a Fibonacci lattice), float32 ``(n, 3)``."""
    i = np.arange(n) + 0.5
    polar, azimuth = np.arccos(1 - 2 * i / n), np.pi * (1 + 5**0.5) * i
    xyz = [np.sin(polar) * np.cos(azimuth), np.sin(polar) * np.sin(azimuth), np.cos(polar)]
    return np.stack(xyz, 1).astype(np.float32)


class CloudDecoder(torch.nn.Module):
    """z (n, 8) -> clouds (n, 64, 3): a sphere stretched along axis c by 0.5 + sigmoid(u_c)."""

    def __init__(self, q: np.ndarray) -> None:
        super().__init__()
        self.register_buffer("q", torch.from_numpy(q))
        self.register_buffer("points", torch.from_numpy(sphere(64)))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        u = torch.asinh(z @ self.q)
        return self.points[None] * (0.5 + torch.sigmoid(u[:, None, :3]))


class CloudJudge(torch.nn.Module):
    """clouds (n, P, 3) of CloudDecoder -> the outputs of Judge, read off the mean |coordinate|
    per axis (independent of the points' order)."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("spread", torch.from_numpy(np.abs(sphere(64)).mean(0)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p = (x.abs().mean(1) / self.spread - 0.5).clamp(1e-4, 1 - 1e-4)
        u = torch.log(p / (1 - p))
        return torch.stack([4.0 * u[:, 0], 4.0 * u[:, 1], 40 + 10 * u[:, 2]], 1)


def truth(u: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"smile": u[:, 0] > 0, "glasses": u[:, 1] > 0, "age": 40 + 10 * u[:, 2]})


def _fabricate(folder, n: int = 3000, seed: int = 0, clouds: bool = False) -> dict:
    """Write latents.npy, latents_std.npy (an encoder's small posterior spread), labels.csv (30%
    empty cells, smile as -1/1), decoder.pt, judge.pt (with ``clouds``: a point-cloud decoder
    and its judge)."""
    rng = np.random.default_rng(seed)
    u = rng.normal(size=(n, D)).astype(np.float32)
    q = orthogonal(D, seed)
    np.save(folder / "latents.npy", factors_to_latents(u, q))
    np.save(folder / "latents_std.npy", np.full((n, D), 0.05, np.float32))
    labels = truth(u).astype(float)
    labels["smile"] = 2 * labels["smile"] - 1
    labels = labels.mask(rng.random(labels.shape) < 0.3)
    labels.to_csv(folder / "labels.csv", index=False)
    decoder, judge = (CloudDecoder(q), CloudJudge()) if clouds else (Decoder(q), Judge())
    torch.jit.script(decoder).save(str(folder / "decoder.pt"))
    torch.jit.script(judge).save(str(folder / "judge.pt"))
    torch.jit.script(SmileDecision()).save(str(folder / "decision.pt"))
    return {
        "latents": str(folder / "latents.npy"),
        "latents_std": str(folder / "latents_std.npy"),
        "labels": str(folder / "labels.csv"),
        "decoder": str(folder / "decoder.pt"),
        "classifier": str(folder / "judge.pt"),
        "classifier_outputs": ["smile", "glasses", "age"],
    }


def _custom_config(files: dict) -> dict:
    flow = {"n_couplings": 4, "n_layers": 3, "hidden": 64, "sigma": 0.3}
    flow["train"] = {"epochs": 40, "batch_size": 128, "lr": 0.002, "patience": 8}
    tasks = {
        "generation": {"n_per_combination": 60},
        "manipulation": {"n_per_pair": 80},
        "flip": {"n_per_value": 60},
        "gradual": {"n_sources": 10},
    }
    return {"experiments": ["custom"], "custom": {**files, "flow": flow, "tasks": tasks}}


def _hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder/results``, by path relative to it."""
    res = folder / "results"
    return {
        str(p.relative_to(res)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(res.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="session")
def fabricate_custom():
    """``fabricate_custom(folder, n=3000, seed=0, clouds=False)``: the user model's files in
    ``folder``; returns the ``custom`` section's file keys."""
    return _fabricate


@pytest.fixture(scope="session")
def custom_config():
    """``custom_config(files)``: a whole config running ``custom`` on ``files`` (a small flow,
    every task)."""
    return _custom_config


@pytest.fixture(scope="session")
def result_hashes():
    """``result_hashes(folder)``: sha256 of every file under ``folder/results``, by path relative
    to it."""
    return _hashes
