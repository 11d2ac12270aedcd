"""Checkpoint files shared by every model: a format marker, a version, atomic writes.

The same payload gives the same bytes on any device: tensors are stored on the CPU, and
since ``torch.save`` names the zip archive inside after the file it writes to, the payload goes
through an open file (archive name ``archive``), not through the per-process temporary path.
"""

from __future__ import annotations

import copy
import warnings
from pathlib import Path

import torch

from plugen.atomic import atomic_path
from plugen.nn import to_device

_ZIP_MAGIC = b"PK\x03\x04"  # how every torch.save file starts


def save_checkpoint(path: str | Path, fmt: str, version: int, **payload: object) -> None:
    """Write ``{"format": fmt, "version": version, **payload}`` to ``path`` atomically.

    Tensors (also inside dicts, lists and tuples, e.g. state dicts) are stored on the CPU.
    Byte-identical output for an identical payload, whatever ``path`` and device.
    """
    state = _on_cpu({"format": fmt, "version": version, **payload})
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        torch.save(state, fh)


def _on_cpu(obj: object) -> object:
    """``obj`` with every tensor moved to the CPU (CPU tensors are not copied); dicts keep their
    class and attributes (a state dict's ``_metadata``)."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu()
    if isinstance(obj, dict):
        out = copy.copy(obj)
        for key, value in obj.items():
            out[key] = _on_cpu(value)
        return out
    if type(obj) in (list, tuple):
        return type(obj)(_on_cpu(v) for v in obj)
    return obj


def load_checkpoint(path: str | Path, fmt: str, version: int, what: str) -> dict:
    """Read a :func:`save_checkpoint` file (tensors on the CPU) and return its dict.

    Raises FileNotFoundError when ``path`` is missing and ValueError, naming the file and
    ``what`` and keeping the reader's one-line reason, when it is a zip archive torch cannot
    read (truncated or corrupt), not a checkpoint of format ``fmt``, or has another
    ``version``.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such {what} checkpoint")
    try:
        with warnings.catch_warnings():  # e.g. a TorchScript file: the error below says it all
            warnings.simplefilter("ignore")
            state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means a foreign file
        first = str(exc).strip().split("\n")[0].split(". ")[0]  # its first sentence
        reason = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
        with open(path, "rb") as fh:
            is_zip = fh.read(4) == _ZIP_MAGIC
        if is_zip:  # torch.save writes a zip archive: this one cannot be read to the end
            raise ValueError(
                f"{path}: {what} checkpoint file is truncated or corrupt ({reason})"
            ) from None
        raise ValueError(f"{path}: not a {what} checkpoint ({reason})") from None
    if isinstance(state, torch.jit.ScriptModule):
        raise ValueError(f"{path}: a TorchScript module, not a {what} checkpoint")
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
        save_checkpoint(
            path,
            self.checkpoint_format,
            self.checkpoint_version,
            config=self.config,
            state_dict=self.state_dict(),
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
