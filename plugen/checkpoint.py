"""Checkpoint files shared by every model: a format marker, a version, atomic writes."""

from __future__ import annotations

from pathlib import Path

import torch


def save_checkpoint(path: str | Path, fmt: str, version: int, **payload: object) -> None:
    """Write ``payload`` with a format marker and version to ``path`` atomically."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    torch.save({"format": fmt, "version": version, **payload}, tmp)
    tmp.replace(path)


def load_checkpoint(path: str | Path, fmt: str, version: int, what: str) -> dict:
    """Read a :func:`save_checkpoint` file; clear errors for missing or foreign files."""
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
