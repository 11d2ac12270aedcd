"""Determinism by hash: the same config run in two folders gives byte-identical results/."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml


@pytest.fixture
def run(snakemake, fabricate_custom, custom_config, result_hashes):
    """``run(folder)``: a small ``custom`` config run in a new ``folder``; its results' hashes."""

    def _run(folder: Path) -> dict[str, str]:
        folder.mkdir()
        cfg = custom_config(fabricate_custom(folder, n=400))
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
        return result_hashes(folder)

    return _run


@pytest.mark.slow
def test_two_folders_give_byte_identical_results(tmp_path, run):
    first, second = run(tmp_path / "one"), run(tmp_path / "two")
    assert {"custom/models/plugin.pt", "summary.md"} <= set(first)
    assert any(name.endswith(".png") for name in first)  # images are compared too
    assert not [name for name in first if name.endswith((".resume", ".tmp"))]
    only = sorted(set(first) ^ set(second))
    differ = sorted(name for name in set(first) & set(second) if first[name] != second[name])
    assert not only, f"files in one run only: {only}"
    assert not differ, f"{len(differ)} of {len(first)} files differ: {differ}"
