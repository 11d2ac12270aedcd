"""One seeded training loop shared by the flow, the backbones and the baselines.

A model plugs in through a ``loss_fn(module, batch) -> dict`` whose ``"loss"`` entry is
minimized; every other entry is averaged per epoch into the history. Custom loops (the GAN's
alternating updates) reuse :func:`batches`, :class:`History` and :func:`seed_everything`.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import math
import random
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from plugen.checkpoint import load_checkpoint, save_checkpoint
from plugen.nn import resolve_device, to_device
from plugen.runtime import progress

log = logging.getLogger(__name__)

__all__ = [
    "History",
    "LossFn",
    "TrainConfig",
    "batches",
    "fingerprint",
    "load_training_state",
    "random_state",
    "resolve_device",
    "restore_random_state",
    "seed_everything",
    "split_indices",
    "train",
]

STATE_FORMAT = "plugen-train-state"
STATE_VERSION = 1

LossFn = Callable[[nn.Module, tuple[Tensor, ...]], dict[str, Tensor]]


@dataclass
class TrainConfig:
    """Hyper-parameters of :func:`train` (plain values, round-trip to JSON/YAML). The defaults
    are the PluGeN flow's (``PluGeN.fit``, ``plugen train``, the schema's ``flow.train``): at
    most ``epochs``, stopped ``patience`` epochs after the best validation loss."""

    epochs: int = 200
    batch_size: int = 256
    lr: float = 1e-3
    weight_decay: float = 0.0
    grad_clip: float | None = 1.0
    val_fraction: float = 0.1
    patience: int | None = 15
    min_delta: float = 1e-4
    lr_schedule: str = "plateau"  # "plateau" | "cosine" | "none"
    lr_patience: int = 3  # plateau: epochs without a lower monitored loss before the LR halves
    epoch_examples: int | None = None  # examples drawn per epoch (None: every example)
    seed: int = 0
    progress: bool = True
    checkpoint: str | None = None  # resumable training state (see train); not a hyper-parameter

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError(f"epochs must be >= 1, got {self.epochs}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if not 0.0 <= self.val_fraction < 1.0:
            raise ValueError(f"val_fraction must be in [0, 1), got {self.val_fraction}")
        if self.epoch_examples is not None and self.epoch_examples < 1:
            raise ValueError(f"epoch_examples must be >= 1, got {self.epoch_examples}")
        if self.lr_patience < 0:
            raise ValueError(f"lr_patience must be >= 0, got {self.lr_patience}")
        if self.lr_schedule not in ("plateau", "cosine", "none"):
            raise ValueError(
                f"lr_schedule must be 'plateau', 'cosine' or 'none', got {self.lr_schedule!r}"
            )

    @classmethod
    def from_section(cls, section: Mapping[str, Any], seed: int, **fixed: Any) -> TrainConfig:
        """The config of a config file's ``train`` section (e.g. ``{"epochs": 20, "lr": 0.002}``):
        its values, then ``seed``, then ``fixed`` (a caller's settings, e.g. ``checkpoint``)
        over them; fields none of them names keep their defaults.

        Raises ValueError naming the first key of ``section`` that is not a field, or a value
        out of range; TypeError for a key of ``fixed`` that is not a field.
        """
        names = [f.name for f in fields(cls)]
        unknown = [k for k in section if k not in names]
        if unknown:
            raise ValueError(f"train.{unknown[0]}: not a training setting; known: {names}")
        return cls(**{**section, "seed": seed, **fixed})

    def to_dict(self) -> dict:
        return asdict(self)


def seed_everything(seed: int) -> torch.Generator:
    """Seed python, numpy and torch; return a CPU generator for shuffling."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def random_state(*generators: torch.Generator) -> dict:
    """The state of python's, numpy's and torch's global RNGs (CUDA's too when it is in use)
    and of ``generators``: what :func:`restore_random_state` needs to continue identically."""
    return {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None,
        "generators": [g.get_state() for g in generators],
    }


def restore_random_state(state: Mapping, *generators: torch.Generator) -> None:
    """Put the global RNGs and ``generators`` back to a :func:`random_state` ``state``."""
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if state["cuda"] is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    for g, g_state in zip(generators, state["generators"], strict=True):
        g.set_state(g_state)


def fingerprint(settings: Mapping, data: Sequence[Tensor | None], module: nn.Module) -> str:
    """sha256 (hex) of JSON-able ``settings``, the tensors ``data`` (shape, dtype and values)
    and ``module``'s state dict: a training state resumes only into the run it came from."""
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
    tensors = list(data) + [t for _, t in sorted(module.state_dict().items())]
    for t in tensors:
        if t is None:
            digest.update(b"none")
            continue
        a = np.ascontiguousarray(t.detach().cpu().numpy())
        digest.update(f"{a.dtype}{a.shape}".encode())
        digest.update(a.data)
    return digest.hexdigest()


def load_training_state(
    checkpoint: str | Path, fmt: str, version: int, key: str, epochs: int, logger: logging.Logger
) -> dict | None:
    """The resumable state in ``checkpoint`` when it belongs to this run, else None.

    A state is used when its ``fingerprint`` equals ``key`` and it has at most ``epochs``
    epochs done; a missing file gives None, a foreign, stale or unreadable one a warning and
    None (the run starts over and overwrites it). Temporary files of a save that was killed
    (:func:`plugen.atomic.atomic_path` names them ``.<name>.<pid>.tmp``) are removed.
    """
    path = Path(checkpoint)
    for tmp in path.parent.glob(f".{path.name}.*.tmp"):
        tmp.unlink(missing_ok=True)
    if not path.exists():
        return None
    try:
        state = load_checkpoint(path, fmt, version, "training-state")
    except ValueError as exc:
        logger.warning("%s; starting over", exc)
        return None
    if state.get("fingerprint") != key:
        logger.warning(
            "%s: training state of another configuration, data or model; starting over", path
        )
        return None
    if state["epoch"] + 1 > epochs:
        logger.warning(
            "%s: training state has %d epochs done, more than the %d asked; starting over",
            path,
            state["epoch"] + 1,
            epochs,
        )
        return None
    logger.info("resumed from epoch %d (%s)", state["epoch"] + 1, path)
    return state


def _scalars(obj: object) -> dict[str, object]:
    """Public bool/int/float/str attributes of ``obj`` (schedules kept on a model or loss, e.g.
    a KL weight or a step counter), without ``nn.Module.training``."""
    return {
        k: v
        for k, v in getattr(obj, "__dict__", {}).items()
        if not k.startswith("_") and k != "training" and type(v) in (bool, int, float, str)
    }


def split_indices(n: int, val_fraction: float, seed: int) -> tuple[Tensor, Tensor]:
    """Seeded random split of ``range(n)`` into (train, val) index tensors."""
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed + 1))
    n_val = int(round(n * val_fraction)) if n >= 10 else 0
    return perm[n_val:], perm[:n_val]


def batches(
    data: Sequence[Tensor],
    batch_size: int,
    generator: torch.Generator | None = None,
    device: torch.device | str = "cpu",
    limit: int | None = None,
) -> Iterator[tuple[Tensor, ...]]:
    """Yield mini-batches of the aligned tensors ``data`` (shuffled when a generator is given),
    covering the first ``limit`` examples of the order (all when None)."""
    n = len(data[0])
    order = torch.randperm(n, generator=generator) if generator is not None else torch.arange(n)
    order = order[:limit]
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        yield tuple(t[idx].to(device, non_blocking=True) for t in data)


class History:
    """Per-epoch metrics: logged as they come, kept as rows for a Parquet/CSV table.

    Rows are results and hold no wall-clock values: the same seeded run gives the same rows.
    Their keys are interned strings, so a file that pickles rows has the same bytes whether
    they were built in this process or restored from a training state (pickle writes a string
    object once and refers back to it).
    """

    def __init__(self, name: str = "train", logger: logging.Logger | None = None) -> None:
        self.name = name
        self.rows: list[dict[str, float]] = []
        self._log = logger or log

    def append(self, seconds: float | None = None, **row: float) -> None:
        """Store ``row`` (epoch, losses, lr, ...) and log it; ``seconds`` (the epoch's wall
        time) is logged but not stored."""
        row = {sys.intern(k): v for k, v in row.items()}
        self.rows.append(row)
        logged = row if seconds is None else {**row, "seconds": seconds}
        parts = " ".join(
            f"{k}={v:.5g}" if isinstance(v, float) else f"{k}={v}" for k, v in logged.items()
        )
        self._log.info("%s %s", self.name, parts)

    def restore(self, rows: Sequence[Mapping[str, float]]) -> None:
        """Replace the rows with those of a resumed run (not logged again)."""
        self.rows = [{sys.intern(k): v for k, v in row.items()} for row in rows]

    def to_frame(self):
        """The rows as a pandas DataFrame (one row per epoch; needs pandas)."""
        import pandas as pd

        return pd.DataFrame(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def _mean_terms(module: nn.Module, loss_fn: LossFn, data, batch_size, device) -> dict[str, float]:
    sums: dict[str, float] = {}
    n = 0
    module.eval()
    with torch.no_grad():
        for batch in batches(data, batch_size, None, device):
            terms = loss_fn(module, batch)
            m = len(batch[0])
            for k, v in terms.items():
                sums[k] = sums.get(k, 0.0) + float(v) * m
            n += m
    return {k: v / max(n, 1) for k, v in sums.items()}


def train(
    module: nn.Module,
    loss_fn: LossFn,
    data: Sequence[Tensor],
    cfg: TrainConfig,
    *,
    val_data: Sequence[Tensor] | None = None,
    device: torch.device | str = "cpu",
    history: History | None = None,
    checkpoint: str | Path | None = None,
    on_epoch_end: Callable[[int, dict[str, float]], None] | None = None,
) -> History:
    """Train ``module`` by minimizing ``loss_fn(module, batch)["loss"]`` with Adam.

    data: aligned tensors, first dimension = examples; a seeded ``cfg.val_fraction`` of them is
    held out for early stopping unless ``val_data`` is given. The best weights (lowest validation
    loss) are restored at the end.

    ``checkpoint`` (default ``cfg.checkpoint``): file written after every epoch and resumed
    from when it holds an earlier state of the same run (same settings but ``epochs``, data and
    initial weights; "resumed from epoch N" is logged). It holds the weights, optimizer,
    scheduler, early-stopping state, history, every RNG's state and the public scalar
    attributes of ``module`` and ``loss_fn`` (schedules such as a KL weight or a step
    counter), so a resumed run ends with the same bytes as an uninterrupted one. A state of
    another run is overwritten, with a warning. The caller deletes the file when done.

    Returns the history: a row per epoch with ``epoch``, ``train_<term>``, ``val_<term>`` and
    ``lr`` (the epoch's seconds go to the log only). Raises FloatingPointError when the loss
    becomes non-finite.
    """
    device = torch.device(device)
    checkpoint = checkpoint if checkpoint is not None else cfg.checkpoint
    gen = seed_everything(cfg.seed)
    data = [torch.as_tensor(t) for t in data]
    if val_data is None and cfg.val_fraction > 0:
        tr_idx, va_idx = split_indices(len(data[0]), cfg.val_fraction, cfg.seed)
        val_data = [t[va_idx] for t in data] if len(va_idx) else None
        data = [t[tr_idx] for t in data]
    history = History() if history is None else history
    to_device(module, device)
    params = [p for p in module.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if cfg.lr_schedule == "plateau":
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
            opt, factor=0.5, patience=cfg.lr_patience
        )
    elif cfg.lr_schedule == "cosine":
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.epochs)
    else:
        sched = None
    best = math.inf
    best_state = copy.deepcopy(module.state_dict())
    bad_epochs = 0
    start_epoch = 0
    stopped = False
    key = None
    if checkpoint is not None:
        # epochs only matter to a cosine schedule: another count extends or shortens the run
        ignored = ("progress", "checkpoint") + (("epochs",) if cfg.lr_schedule != "cosine" else ())
        settings = {k: v for k, v in cfg.to_dict().items() if k not in ignored}
        key = fingerprint(settings, [*data, *(val_data or [None])], module)
        state = load_training_state(
            checkpoint, STATE_FORMAT, STATE_VERSION, key, cfg.epochs, history._log
        )
        if state is not None:
            module.load_state_dict(state["module"])
            opt.load_state_dict(state["optimizer"])
            if sched is not None:
                sched.load_state_dict(state["scheduler"])
            history.restore(state["history"])
            best, best_state, bad_epochs = state["best"], state["best_state"], state["bad_epochs"]
            vars(module).update(state["module_scalars"])
            if state["loss_scalars"]:
                vars(loss_fn).update(state["loss_scalars"])
            restore_random_state(state["random"], gen)
            start_epoch = state["epoch"] + 1
            stopped = cfg.patience is not None and bad_epochs >= cfg.patience
    per_epoch = min(len(data[0]), cfg.epoch_examples or len(data[0]))
    n_batches = math.ceil(per_epoch / cfg.batch_size)
    for epoch in range(start_epoch, start_epoch if stopped else cfg.epochs):
        t0 = time.perf_counter()
        module.train()
        sums: dict[str, float] = {}
        seen = 0
        for batch in progress(
            batches(data, cfg.batch_size, gen, device, per_epoch),
            n_batches,
            cfg.progress,
            f"{history.name} epoch {epoch + 1}/{cfg.epochs}",
        ):
            terms = loss_fn(module, batch)
            loss = terms["loss"]
            if not torch.isfinite(loss):
                raise FloatingPointError(
                    f"{history.name}: loss became {float(loss)} at epoch {epoch + 1}; "
                    "lower the learning rate or check the inputs for extreme values"
                )
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if cfg.grad_clip:
                nn.utils.clip_grad_norm_(params, cfg.grad_clip)
            opt.step()
            m = len(batch[0])
            for k, v in terms.items():
                sums[k] = sums.get(k, 0.0) + float(v.detach()) * m
            seen += m
        row: dict[str, float] = {"epoch": epoch + 1}
        row.update({f"train_{k}": v / seen for k, v in sums.items()})
        monitored = row["train_loss"]
        if val_data is not None:
            val_terms = _mean_terms(module, loss_fn, val_data, cfg.batch_size, device)
            row.update({f"val_{k}": v for k, v in val_terms.items()})
            monitored = val_terms["loss"]
        row["lr"] = opt.param_groups[0]["lr"]
        history.append(seconds=time.perf_counter() - t0, **row)
        if isinstance(sched, torch.optim.lr_scheduler.ReduceLROnPlateau):
            sched.step(monitored)
        elif sched is not None:
            sched.step()
        if monitored < best - cfg.min_delta:
            best, bad_epochs = monitored, 0
            best_state = copy.deepcopy(module.state_dict())
        else:
            bad_epochs += 1
        if on_epoch_end is not None:
            on_epoch_end(epoch, history.rows[-1])  # the stored row: additions reach the history
        if checkpoint is not None:
            save_checkpoint(
                checkpoint,
                STATE_FORMAT,
                STATE_VERSION,
                fingerprint=key,
                module=module.state_dict(),
                optimizer=opt.state_dict(),
                scheduler=sched.state_dict() if sched is not None else None,
                history=history.rows,
                best=best,
                best_state=best_state,
                bad_epochs=bad_epochs,
                epoch=epoch,
                module_scalars=_scalars(module),
                loss_scalars=_scalars(loss_fn),
                random=random_state(gen),
            )
        if cfg.patience is not None and bad_epochs >= cfg.patience:
            history._log.info(
                "%s: early stop at epoch %d (best %.5g)", history.name, epoch + 1, best
            )
            break
    module.load_state_dict(best_state)
    module.eval()
    return history
