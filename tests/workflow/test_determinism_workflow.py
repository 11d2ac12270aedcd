"""Determinism by hash: the same config run in two folders gives byte-identical results/."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml
from test_custom_workflow import custom_config, fabricate
from test_workflow import snakemake


def hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder/results``, by path relative to it."""
    res = folder / "results"
    return {
        str(p.relative_to(res)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(res.rglob("*"))
        if p.is_file()
    }


def _run(folder: Path) -> dict[str, str]:
    folder.mkdir()
    cfg = custom_config(fabricate(folder, n=400))
    cfg["custom"]["flow"].update(n_couplings=2, n_layers=2, hidden=16)
    cfg["custom"]["flow"]["train"].update(epochs=15)
    cfg["custom"]["tasks"] = {
        "generation": {"n_per_combination": 5},
        "manipulation": {"n_per_pair": 5},
        "flip": {"n_per_value": 5},
        "gradual": {"n_sources": 3},
    }
    (folder / "cfg.yaml").write_text(yaml.safe_dump(cfg))
    snakemake(folder, "--configfile", "cfg.yaml")
    return hashes(folder)


@pytest.mark.slow
def test_two_folders_give_byte_identical_results(tmp_path):
    first, second = _run(tmp_path / "one"), _run(tmp_path / "two")
    assert {"custom/models/plugin.pt", "summary.md"} <= set(first)
    assert any(name.endswith(".png") for name in first)  # images are compared too
    assert not [name for name in first if name.endswith((".resume", ".tmp"))]
    only = sorted(set(first) ^ set(second))
    differ = sorted(name for name in set(first) & set(second) if first[name] != second[name])
    assert not only, f"files in one run only: {only}"
    assert not differ, f"{len(differ)} of {len(first)} files differ: {differ}"
