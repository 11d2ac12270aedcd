"""sha256 of files (pinned downloads, shipped weights); no dependencies."""

from __future__ import annotations

import hashlib
from pathlib import Path


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of the file at ``path`` (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_sha256(path: str | Path, expected: str, what: str) -> None:
    """Raise ValueError naming ``what`` and ``path`` when the file's sha256 is not
    ``expected`` (a changed, truncated or other file)."""
    actual = file_sha256(path)
    if actual != expected.lower():
        raise ValueError(
            f"{what}: {path} has sha256 {actual[:16]}..., expected {expected[:16]}... "
            "(the file was changed or truncated, or is another file)"
        )
