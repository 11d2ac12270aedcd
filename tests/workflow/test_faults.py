"""Faults: a training job that is interrupted resumes from its last epoch to the same bytes.

In process: train(), PluGeN.fit and fit_gan are interrupted after k epochs (an exception from a
callback or a log handler, as a kill would stop them) and resumed from their training-state file.
Through the real snakemake: SIGTERM or SIGKILL during train_flow, then a rerun, gives the same
files under results/ as an uninterrupted run; a second snakemake on a locked folder is refused.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from plugen import PluGeN
from plugen.backbones.dcgan import GANConfig, fit_gan
from plugen.train import History, TrainConfig, train
from tests.paths import SNAKEFILE


class Interrupted(Exception):
    """Stands for the kill: raised in the middle of training."""


# --------------------------------------------------------------------------- in process
class _NoisyNet(torch.nn.Module):
    """A regression net with a scalar schedule on the module (like a VAE's KL weight)."""

    def __init__(self) -> None:
        super().__init__()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(4, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1)
        )
        self.weight = 0.0


class _CountingLoss:
    """Squared error plus noise from the global torch RNG, weighted by a step counter."""

    def __init__(self) -> None:
        self.step = 0

    def __call__(self, module: _NoisyNet, batch: tuple[torch.Tensor, ...]) -> dict:
        x, y = batch
        noise = 0.1 * torch.randn_like(y)
        if module.training:
            self.step += 1
        pred = module.net(x).squeeze(1)
        mse = ((pred - y - noise) ** 2).mean()
        return {"loss": mse * (1 + module.weight) + 1e-3 * self.step, "mse": mse}


def _regression(n: int = 300) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 4, generator=g)
    return x, torch.sin(x @ torch.tensor([1.0, -2.0, 0.5, 0.0]))


def _run_train(checkpoint: Path | None, stop_after: int | None = None, epochs: int = 8, **cfg_kw):
    torch.manual_seed(5)
    module, loss = _NoisyNet(), _CountingLoss()

    def on_epoch_end(epoch: int, row: dict) -> None:
        module.weight = 0.1 * (epoch + 1)
        row["weight"] = module.weight
        if stop_after is not None and epoch + 1 == stop_after:
            raise Interrupted

    kw = dict(epochs=epochs, batch_size=32, lr=5e-3, val_fraction=0.2, progress=False)
    kw["checkpoint"] = None if checkpoint is None else str(checkpoint)
    cfg = TrainConfig(**{**kw, **cfg_kw})
    hist = train(module, loss, _regression(), cfg, on_epoch_end=on_epoch_end)
    return module, loss, hist


@pytest.mark.parametrize("schedule", ["plateau", "cosine"])
def test_interrupted_training_resumes_to_the_same_weights_and_history(tmp_path, caplog, schedule):
    straight, straight_loss, hist = _run_train(None, lr_schedule=schedule)
    state = tmp_path / "state.pt"
    with pytest.raises(Interrupted):
        _run_train(state, stop_after=4, lr_schedule=schedule)  # epoch 4 ran, epoch 3 was saved
    with caplog.at_level(logging.INFO):
        resumed, resumed_loss, hist2 = _run_train(state, lr_schedule=schedule)
    assert f"resumed from epoch 3 ({state})" in caplog.text
    assert hist2.rows == hist.rows and len(hist.rows) == 8
    assert resumed_loss.step == straight_loss.step and resumed.weight == straight.weight
    for name, tensor in straight.state_dict().items():
        assert torch.equal(resumed.state_dict()[name], tensor), name


def test_an_early_stopped_run_is_not_trained_further_on_rerun(tmp_path):
    state = tmp_path / "state.pt"
    first, _, hist = _run_train(state, epochs=60, patience=2, min_delta=0.05)
    assert len(hist.rows) < 60  # stopped early
    again, _, hist2 = _run_train(state, epochs=60, patience=2, min_delta=0.05)
    assert hist2.rows == hist.rows
    assert all(torch.equal(a, b) for a, b in zip(first.parameters(), again.parameters()))


def test_a_state_of_other_data_or_settings_is_not_resumed(tmp_path, caplog):
    state = tmp_path / "state.pt"
    with pytest.raises(Interrupted):
        _run_train(state, stop_after=3, lr=1e-2)  # another learning rate
    fresh, _, hist = _run_train(None)
    with caplog.at_level(logging.WARNING):
        again, _, hist2 = _run_train(state)
    assert "training state of another configuration, data or model; starting over" in caplog.text
    assert hist2.rows == hist.rows
    state.write_bytes(b"not a checkpoint")
    with caplog.at_level(logging.WARNING):
        _, _, hist3 = _run_train(state)
    assert "not a training-state checkpoint" in caplog.text and hist3.rows == hist.rows


def test_a_killed_save_leaves_no_temporary_file_after_the_next_run(tmp_path):
    state = tmp_path / "state.pt"
    (tmp_path / ".state.pt.4242.tmp").write_bytes(b"half a checkpoint")  # atomic_path's name
    _run_train(state, epochs=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.pt"]


class _StopAtEpoch(logging.Handler):
    """Raises when the history logs the epoch line ``<name> epoch=<k> ``."""

    def __init__(self, line: str) -> None:
        super().__init__()
        self.line = line

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith(self.line):
            raise Interrupted


def _interrupting_logger(name: str, line: str | None) -> logging.Logger:
    logger = logging.getLogger(f"test_faults.{name}.{line}")
    logger.handlers = [_StopAtEpoch(line)] if line else []
    logger.setLevel(logging.INFO)
    return logger


@pytest.mark.parametrize("spread", [None, 0.3])
def test_an_interrupted_plugen_fit_saves_the_same_plugin_file(
    synthetic_latents, tmp_path, caplog, spread
):
    """Also on posterior samples: the draws come from the RNG state the checkpoint keeps."""
    z, y = synthetic_latents[0][:600], synthetic_latents[1][:600]
    z_std = None if spread is None else np.full_like(z, spread)

    def fit(checkpoint: Path | None, stop: str | None = None) -> PluGeN:
        m = PluGeN(12, ["a", "b", "h"], {"h": "continuous"}, n_couplings=2, hidden=16)
        m.config.sigma_decay = 0.8  # the sigma schedule is part of the resumed state
        m.fit(z, y, z_std=z_std, epochs=5, batch_size=128, lr=1e-3, seed=3,
              checkpoint=checkpoint, logger=_interrupting_logger("fit", stop))  # fmt: skip
        return m

    fit(None).save(tmp_path / "straight.pt")
    state = tmp_path / "plugin.pt.resume"
    with pytest.raises(Interrupted):
        fit(state, stop="plugen epoch=3 ")
    with caplog.at_level(logging.INFO):
        fit(state).save(tmp_path / "resumed.pt")
    assert "resumed from epoch 2" in caplog.text
    assert (tmp_path / "resumed.pt").read_bytes() == (tmp_path / "straight.pt").read_bytes()


def test_an_interrupted_gan_resumes_to_the_same_generator(tmp_path, caplog):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(48, 16, 16, 3), dtype=np.uint8)
    cfg = GANConfig(
        latent_dim=8, image_size=16, g_widths=[16, 8], d_widths=[8, 16], epochs=3,
        batch_size=16, bn_samples=64, r1_every=2,
    )  # fmt: skip
    straight, hist = fit_gan(images, cfg)
    state = tmp_path / "gan.pt.resume"
    with pytest.raises(Interrupted):
        fit_gan(images, cfg, checkpoint=state, logger=_interrupting_logger("gan", "gan epoch=2 "))
    with caplog.at_level(logging.INFO):
        resumed, hist2 = fit_gan(images, cfg, checkpoint=state)
    assert "resumed from epoch 1" in caplog.text
    assert hist2.rows == hist.rows and len(hist.rows) == 3
    for name, tensor in straight.state_dict().items():
        assert torch.equal(resumed.state_dict()[name], tensor), name


def test_history_rows_of_a_resumed_run_go_to_the_callers_history(tmp_path):
    state = tmp_path / "state.pt"
    with pytest.raises(Interrupted):
        _run_train(state, stop_after=2)
    torch.manual_seed(5)
    module, mine = _NoisyNet(), History("mine")
    cfg = TrainConfig(epochs=3, batch_size=32, val_fraction=0.2, progress=False, lr=5e-3)
    out = train(module, _CountingLoss(), _regression(), cfg, history=mine, checkpoint=state)
    assert out is mine and [r["epoch"] for r in mine.rows] == [1, 2, 3]


# --------------------------------------------------------------------------- through snakemake
# The flow's outputs only (the rest of the DAG is a function of them; the whole DAG's bytes are
# checked by test_determinism_workflow.py): a tiny flow trained long enough to be killed.
TARGETS = ("results/custom/models/plugin.pt", "results/custom/history/plugin.parquet")
TRAIN_LOG = Path("logs/custom/train_flow.log")


@pytest.fixture(scope="module")
def flow_folder(fabricate_custom, custom_config):
    """``flow_folder(folder)``: ``folder`` with the user model and a config of a long tiny flow."""

    def _flow_folder(folder: Path) -> Path:
        cfg = custom_config(fabricate_custom(folder, n=400))
        cfg["custom"]["flow"].update(n_couplings=2, n_layers=2, hidden=16)
        cfg["custom"]["flow"]["train"].update(epochs=60, patience=1000)
        (folder / "cfg.yaml").write_text(yaml.safe_dump(cfg))
        return folder

    return _flow_folder


def _start(folder: Path) -> subprocess.Popen:
    """snakemake on the flow's outputs, in its own process group (like a scheduler's job)."""
    cmd = [sys.executable, "-m", "snakemake", "-s", str(SNAKEFILE), "-d", str(folder)]
    cmd += ["--cores", "2", *TARGETS, "--configfile", "cfg.yaml"]
    out = open(folder / "snakemake.out", "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        cmd, cwd=folder, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )


def _wait_for_epoch(folder: Path, proc: subprocess.Popen, epoch: int, timeout: float = 240) -> None:
    """Poll the training log until it shows ``epoch`` (generous: the machine may be loaded)."""
    line, log, end = f"plugen epoch={epoch} ", folder / TRAIN_LOG, time.monotonic() + timeout
    while time.monotonic() < end:
        if log.exists() and line in log.read_text():
            return
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"no '{line}' in {log}:\n{(folder / 'snakemake.out').read_text()[-3000:]}")


@pytest.fixture(scope="module")
def rerun(snakemake):
    """``rerun(folder, *args, check=True)``: snakemake on the flow's outputs in ``folder``,
    rerunning incomplete ones."""

    def _rerun(folder: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return snakemake(
            folder, "--rerun-incomplete", *args, *TARGETS, "--configfile", "cfg.yaml", check=check
        )

    return _rerun


@pytest.fixture(scope="module")
def reference(tmp_path_factory, flow_folder, rerun):
    """An uninterrupted run; while it trains (paused), a second snakemake tries the folder."""
    folder = flow_folder(tmp_path_factory.mktemp("reference"))
    proc = _start(folder)
    _wait_for_epoch(folder, proc, 3)
    os.killpg(proc.pid, signal.SIGSTOP)  # hold the lock for as long as the second one needs
    try:
        second = rerun(folder, check=False)
    finally:
        os.killpg(proc.pid, signal.SIGCONT)
    assert proc.wait(timeout=300) == 0, (folder / "snakemake.out").read_text()[-3000:]
    return folder, second


@pytest.mark.slow
def test_a_second_snakemake_on_a_locked_folder_is_refused(reference, result_hashes):
    folder, second = reference
    assert second.returncode != 0
    assert "LockException" in second.stdout + second.stderr
    assert "Directory cannot be locked" in second.stdout + second.stderr
    hashes = result_hashes(folder)  # the first run finished untouched: its outputs, no leftovers
    assert sorted(hashes) == ["custom/history/plugin.parquet", "custom/latents.parquet",
                              "custom/models/plugin.pt"]  # fmt: skip
    assert "resumed" not in (folder / TRAIN_LOG).read_text()


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_killed_training_resumes_to_the_same_bytes(
    reference, tmp_path, sig, flow_folder, rerun, snakemake, result_hashes
):
    folder = flow_folder(tmp_path)
    proc = _start(folder)
    _wait_for_epoch(folder, proc, 5)
    os.killpg(proc.pid, sig)  # snakemake and its job, as a scheduler or a lost node does
    proc.wait(timeout=120)
    models = folder / "results/custom/models"
    left = {p.name for p in models.iterdir()}  # killed mid-training (maybe mid-save)
    assert "plugin.pt.resume" in left and "plugin.pt" not in left, left
    if sig == signal.SIGKILL:  # no chance to release the lock: snakemake says how to go on
        locked = rerun(folder, check=False)
        assert locked.returncode != 0 and "--unlock" in locked.stdout + locked.stderr
        snakemake(folder, "--unlock", *TARGETS, "--configfile", "cfg.yaml")
    rerun(folder)
    log = (folder / TRAIN_LOG).read_text()
    assert "resumed from epoch " in log and "plugen epoch=1 " not in log
    assert result_hashes(folder) == result_hashes(reference[0])  # no .resume left behind either


def _fit_vae(cfg: TrainConfig):
    from plugen.backbones.image_vae import fit_vae

    images = np.random.default_rng(0).integers(0, 256, (64, 16, 16, 3), dtype=np.uint8)
    return fit_vae(images, cfg, {"latent_dim": 4, "widths": [8, 16]}, kl_warmup_epochs=3)


def _fit_charvae(cfg: TrainConfig):
    from plugen.experiments.molecules.charvae import fit_charvae

    smiles = ["CCO", "c1ccccc1", "CCN", "CC(=O)O", "CCCC", "OCCO", "CNC", "C1CCCCC1"] * 4
    return fit_charvae(
        smiles, cfg, {"latent_dim": 4, "embed_dim": 8, "hidden_dim": 16}, kl_anneal_epochs=3
    )


@pytest.mark.parametrize(
    "fit", [_fit_vae, _fit_charvae], ids=["vae-kl-warmup", "charvae-kl-anneal"]
)
def test_backbones_resume_their_kl_schedules_through_the_config_checkpoint(tmp_path, fit):
    kw = dict(batch_size=8, lr=1e-3, patience=None, lr_schedule="none", progress=False)
    straight, hist = fit(TrainConfig(epochs=4, **kw))
    state = str(tmp_path / "model.pt.resume")
    fit(TrainConfig(epochs=2, **kw, checkpoint=state))  # stopped after 2 of the 4 epochs
    resumed, hist2 = fit(TrainConfig(epochs=4, **kw, checkpoint=state))
    assert [r["epoch"] for r in hist2.rows] == [1, 2, 3, 4] and hist2.rows == hist.rows
    for name, tensor in straight.state_dict().items():
        assert torch.equal(resumed.state_dict()[name], tensor), name
