"""Checkpoint files shared by every model: a format marker, a version, atomic writes.

The same payload gives the same bytes: ``torch.save`` names the zip archive inside after the
file it writes to, so the payload goes through an open file (archive name ``archive``), not
through the (per-process) temporary path.
"""

from __future__ import annotations

from pathlib import Path

import torch

from plugen.atomic import atomic_path
from plugen.nn import to_device


def save_checkpoint(path: str | Path, fmt: str, version: int, **payload: object) -> None:
    """Write ``{"format": fmt, "version": version, **payload}`` to ``path`` atomically.

    Byte-identical output for an identical payload (tensors, plain values), whatever ``path``.
    """
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        torch.save({"format": fmt, "version": version, **payload}, fh)


def load_checkpoint(path: str | Path, fmt: str, version: int, what: str) -> dict:
    """Read a :func:`save_checkpoint` file (tensors on the CPU) and return its dict.

    Raises FileNotFoundError when ``path`` is missing and ValueError, naming the file and
    ``what``, when it is not a checkpoint of format ``fmt`` or has another ``version``.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such {what} checkpoint")
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means a foreign file
        raise ValueError(f"{path}: not a {what} checkpoint ({type(exc).__name__})") from None
    if not isinstance(state, dict) or state.get("format") != fmt:
        raise ValueError(f"{path}: not a {what} checkpoint (no '{fmt}' marker)")
    if state.get("version") != version:
        raise ValueError(
            f"{path}: {what} checkpoint version {state.get('version')} is not supported "
            f"(this plugen reads version {version})"
        )
    return state


class ConfigCheckpoint:
    """Mixin for ``nn.Module`` models rebuilt as ``cls(**self.config)``: save/load weights.

    Subclasses set ``checkpoint_format``, ``checkpoint_version`` and ``checkpoint_what``.
    """

    checkpoint_format: str
    checkpoint_version: int
    checkpoint_what: str

    def save(self, path: str | Path) -> None:
        """Write weights and config to ``path`` (atomic)."""
        state = {k: v.cpu() for k, v in self.state_dict().items()}
        save_checkpoint(
            path,
            self.checkpoint_format,
            self.checkpoint_version,
            config=self.config,
            state_dict=state,
        )

    @classmethod
    def load(cls, path: str | Path, device: torch.device | str = "cpu"):
        """Read a model written by :meth:`save`, in eval mode on ``device``."""
        state = load_checkpoint(
            path, cls.checkpoint_format, cls.checkpoint_version, cls.checkpoint_what
        )
        model = cls(**state["config"])
        model.load_state_dict(state["state_dict"])
        return to_device(model, device).eval()
