"""Pinned wheels from PyPI as read-only archives: download once, check the hash, read members.

A *meta* (a dict, or the path of a json file holding one) pins one wheel::

    {"name": "molsets", "version": "0.3.1",
     "filename": "molsets-0.3.1-py3-none-any.whl", "sha256": "7f44..."}

(``package`` is accepted in place of ``name``.) :func:`fetch_wheel` runs
``python -m pip download --no-deps <name>==<version> -d <wheel_dir>`` only when the file is not
in ``wheel_dir`` yet, then checks its sha256; nothing from the wheel is installed.
:func:`read_member` reads one file out of the wheel (a zip). Every error is one line.
Standard library only.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from plugen.digest import file_sha256

log = logging.getLogger(__name__)

_REQUIRED = ("version", "filename", "sha256")
#: where pinned wheels are kept: $PLUGEN_WHEEL_DIR, else the user's cache folder
DEFAULT_WHEEL_DIR = Path(
    os.environ.get("PLUGEN_WHEEL_DIR")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "plugen" / "wheels"
)


def load_wheel_meta(meta: dict | str | Path) -> tuple[dict, str]:
    """Return ``(meta dict, label)``; ``label`` names the meta in error messages (the json
    file's name, or ``"meta"`` for a dict).

    Raises FileNotFoundError when the json file is missing and ValueError when it is not valid
    json or lacks one of ``name``/``package``, ``version``, ``filename``, ``sha256``.
    """
    if isinstance(meta, dict):
        data, label = dict(meta), "meta"
    else:
        path = Path(meta)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: wheel meta json missing")
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}: not valid json ({err})") from None
        if not isinstance(data, dict):
            raise ValueError(f"{path}: wheel meta must be a json object")
        label = path.name
    if "name" not in data and "package" in data:
        data["name"] = data["package"]
    missing = [k for k in ("name", *_REQUIRED) if k not in data]
    if missing:
        raise ValueError(f"{label}: wheel meta lacks {', '.join(missing)}")
    return data, label


def _check_hash(wheel: Path, expected: str, label: str) -> None:
    actual = file_sha256(wheel)
    if actual != str(expected).lower():
        raise ValueError(f"{wheel}: sha256 is {actual}, expected {expected} ({label})")


def fetch_wheel(meta: dict | str | Path, wheel_dir: str | Path) -> Path:
    """Return the path of the pinned wheel in ``wheel_dir``, downloading it when absent.

    The download is ``python -m pip download --no-deps <name>==<version> -d wheel_dir``;
    a file already in ``wheel_dir`` is never downloaded again (delete it to retry).
    Raises ValueError (one line: ``<file>: sha256 is X, expected Y (<meta file>)``) when the
    file's sha256 differs from the meta's, RuntimeError (one line) when pip fails or does not
    produce the pinned file name.
    """
    data, label = load_wheel_meta(meta)
    wheel_dir = Path(wheel_dir)
    wheel = wheel_dir / data["filename"]
    if not wheel.is_file():
        spec = f"{data['name']}=={data['version']}"
        wheel_dir.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", spec, "-d", str(wheel_dir)]
        log.info("downloading %s: %s", spec, " ".join(cmd))
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            lines = [ln.strip() for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
            last = lines[-1] if lines else "no output"
            raise RuntimeError(
                f"pip download {spec} failed (exit {proc.returncode}): {last}; without network, "
                f"put {data['filename']} into {wheel_dir} by hand"
            )
        if not wheel.is_file():
            raise RuntimeError(
                f"pip download {spec} did not produce {wheel} (another file name?); "
                f"check 'filename' in {label}"
            )
    _check_hash(wheel, data["sha256"], label)
    return wheel


def resolve_wheel(where: str | Path | None, meta: dict | str | Path) -> Path:
    """The pinned wheel of ``meta``: ``where`` is the wheel file itself or a folder (default
    :data:`DEFAULT_WHEEL_DIR`) where it is downloaded when absent. Raises ValueError on a wrong
    sha256 or file name, RuntimeError when it cannot be downloaded."""
    data, label = load_wheel_meta(meta)
    where = DEFAULT_WHEEL_DIR if where is None else Path(where)
    if where.is_file():
        if where.name != data["filename"]:
            raise ValueError(f"{where}: expected the wheel {data['filename']} ({label})")
        where = where.parent
    return fetch_wheel(meta, where)


def read_pinned_member(
    wheel: str | Path, member: str, sha256: str | None, label: str, what: str = ""
) -> bytes:
    """:func:`read_member`, checked against the member's pinned ``sha256`` (None: refused);
    ``label`` names the pin and ``what`` ends the one-line ValueError of a mismatch (e.g. "the
    vocabulary changed")."""
    raw = read_member(wheel, member)
    got = hashlib.sha256(raw).hexdigest()
    if sha256 is None or got != str(sha256).lower():
        end = f"; {what}" if what else ""
        raise ValueError(
            f"{Path(wheel).name}:{member}: sha256 is {got}, expected {sha256} ({label}){end}"
        )
    return raw


def read_member(wheel: str | Path, member: str) -> bytes:
    """Bytes of the file ``member`` (a path inside the archive) of the wheel ``wheel``.

    Raises FileNotFoundError when the wheel is missing, ValueError when it is not a zip or has
    no such member (one line each).
    """
    wheel = Path(wheel)
    if not wheel.is_file():
        raise FileNotFoundError(f"{wheel}: wheel missing")
    try:
        with zipfile.ZipFile(wheel) as zf:
            try:
                return zf.read(member)
            except KeyError:
                raise ValueError(
                    f"{wheel.name}: no member {member!r} ({len(zf.namelist())} members)"
                ) from None
    except zipfile.BadZipFile:
        raise ValueError(f"{wheel}: not a zip archive (a wheel is one)") from None
