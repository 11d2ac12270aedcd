"""One atomic-write helper: temp file per process in the target's folder, renamed on success."""

import os

import pytest

from plugen.atomic import atomic_path, atomic_write_bytes


def test_the_temp_file_is_per_process_next_to_the_target_and_renamed_over_it(tmp_path):
    target = tmp_path / "new" / "table.parquet"
    with atomic_path(target) as tmp:
        assert tmp.parent == target.parent and str(os.getpid()) in tmp.name
        assert tmp.name != target.name and not target.exists()
        tmp.write_text("complete")
    assert target.read_text() == "complete"
    assert [p.name for p in target.parent.iterdir()] == ["table.parquet"]


def test_an_error_removes_the_temp_file_and_keeps_the_old_target(tmp_path):
    target = atomic_write_bytes(tmp_path / "x.csv", b"old")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("boom")
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["x.csv"]
