"""plugen.wheels on fabricated wheels (zips built in tmp_path): no network, pip is faked."""

import hashlib
import json
import subprocess
import zipfile

import pytest

from plugen import wheels


def _make_wheel(path, members):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _meta(wheel, **extra):
    sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
    return {"name": "fakepkg", "version": "1.0", "filename": wheel.name, "sha256": sha, **extra}


@pytest.fixture
def fake_wheel(tmp_path):
    d = tmp_path / "wheels"
    d.mkdir()
    return _make_wheel(d / "fakepkg-1.0-py3-none-any.whl", {"fakepkg/data/a.txt": b"hello"})


def _no_pip(*args, **kwargs):
    raise AssertionError("pip must not run when the wheel is already there")


def test_present_wheel_is_checked_not_downloaded(fake_wheel, monkeypatch):
    monkeypatch.setattr(wheels.subprocess, "run", _no_pip)
    got = wheels.fetch_wheel(_meta(fake_wheel), fake_wheel.parent)
    assert got == fake_wheel
    assert wheels.read_member(got, "fakepkg/data/a.txt") == b"hello"


def test_meta_from_json_file_and_package_key(fake_wheel, tmp_path, monkeypatch):
    monkeypatch.setattr(wheels.subprocess, "run", _no_pip)
    meta = _meta(fake_wheel)
    meta["package"] = meta.pop("name")
    meta_file = tmp_path / "fake_wheel.json"
    meta_file.write_text(json.dumps(meta))
    assert wheels.fetch_wheel(meta_file, fake_wheel.parent) == fake_wheel


def test_hash_mismatch_is_one_line_value_error(fake_wheel, tmp_path, monkeypatch):
    monkeypatch.setattr(wheels.subprocess, "run", _no_pip)
    meta = _meta(fake_wheel, sha256="0" * 64)
    meta_file = tmp_path / "fake_wheel.json"
    meta_file.write_text(json.dumps(meta))
    with pytest.raises(ValueError) as err:
        wheels.fetch_wheel(meta_file, fake_wheel.parent)
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith(f"{fake_wheel}: sha256 is ")
    assert msg.endswith(f"expected {'0' * 64} (fake_wheel.json)")


def test_missing_meta_keys(tmp_path):
    with pytest.raises(ValueError, match="lacks name, sha256"):
        wheels.fetch_wheel({"version": "1", "filename": "x.whl"}, tmp_path)
    with pytest.raises(FileNotFoundError, match="wheel meta json missing"):
        wheels.fetch_wheel(tmp_path / "nope.json", tmp_path)


def test_download_runs_pip_once(tmp_path, monkeypatch):
    src = _make_wheel(tmp_path / "fakepkg-1.0-py3-none-any.whl", {"m.txt": b"x"})
    meta = _meta(src)
    calls = []

    def fake_run(cmd, **kwargs):
        calls.append(cmd)
        dest = cmd[cmd.index("-d") + 1]
        (tmp_path / dest / meta["filename"]).write_bytes(src.read_bytes())
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(wheels.subprocess, "run", fake_run)
    out = tmp_path / "cache"
    got = wheels.fetch_wheel(meta, out)
    assert got == out / meta["filename"] and got.is_file()
    assert calls[0][1:] == ["-m", "pip", "download", "--no-deps", "fakepkg==1.0", "-d", str(out)]
    wheels.fetch_wheel(meta, out)  # second call: present, no pip
    assert len(calls) == 1


def test_pip_failure_is_one_line_runtime_error(tmp_path, monkeypatch):
    def failing_run(cmd, **kwargs):
        return subprocess.CompletedProcess(cmd, 1, "", "WARNING: retrying\nERROR: No network\n")

    monkeypatch.setattr(wheels.subprocess, "run", failing_run)
    meta = {"name": "fakepkg", "version": "1.0", "filename": "f.whl", "sha256": "0" * 64}
    with pytest.raises(RuntimeError) as err:
        wheels.fetch_wheel(meta, tmp_path)
    msg = str(err.value)
    assert "\n" not in msg and "ERROR: No network" in msg and "exit 1" in msg

    def silent_run(cmd, **kwargs):  # pip "succeeds" but writes another file name
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(wheels.subprocess, "run", silent_run)
    with pytest.raises(RuntimeError, match="did not produce"):
        wheels.fetch_wheel(meta, tmp_path)


def test_read_member_errors(fake_wheel, tmp_path):
    with pytest.raises(ValueError) as err:
        wheels.read_member(fake_wheel, "fakepkg/missing.bin")
    assert "\n" not in str(err.value) and "'fakepkg/missing.bin'" in str(err.value)
    with pytest.raises(FileNotFoundError):
        wheels.read_member(tmp_path / "absent.whl", "x")
    not_zip = tmp_path / "bad.whl"
    not_zip.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a zip"):
        wheels.read_member(not_zip, "x")
