"""The molecules experiment through the real snakemake command on a tiny csv (no download)."""

import itertools
import subprocess
import sys

import numpy as np
import pytest
import yaml

from plugen import io
from plugen.experiments.molecules.data import PROPERTIES, mol_from_smiles
from tests.paths import SNAKEFILE

SUBSTITUENTS = ["C", "CC", "O", "N", "Cl", "F", "C(=O)O", "OC", "C#N", "C(F)(F)F"]
TEMPLATES = ["{a}c1ccc({b})cc1", "{a}C1CCN(C{b})CC1", "{a}c1ccnc({b})c1", "{a}CC(=O)N{b}"]
INVALID = ["C1CC", "not_a_smiles", "c1ccc"]


def tiny_smiles():
    """~300 small molecules built from templates (those RDKit parses) + a few invalid strings."""
    pairs = itertools.product(TEMPLATES, SUBSTITUENTS, SUBSTITUENTS)
    built = [t.format(a=a, b=b) for t, a, b in pairs]
    return [s for s in built if mol_from_smiles(s) is not None] + INVALID


TINY = {
    "experiments": ["molecules"],
    "molecules": {
        "data": {"csv": "tiny_molecules.csv", "n_molecules": None, "max_length": 40},
        "backbone": {"train": True},  # retrained on the tiny set
        "charvae": {
            "embed_dim": 8,
            "hidden_dim": 24,
            "latent_dim": 8,
            "n_eval": 20,
            "train": {"epochs": 1, "batch_size": 32},
        },
        "flow": {
            "n_couplings": 2,
            "n_layers": 2,
            "hidden": 16,
            "train": {"epochs": 2, "patience": 1, "batch_size": 64},
        },
        "generation": {"n_per_target": 6},
        "fcd": {"n_reference": 20},
        "lead_optimization": {"n_seeds": 2, "n_steps": 3},
    },
}


@pytest.fixture(scope="module")
def run(tmp_path_factory, snakemake):
    work = tmp_path_factory.mktemp("molwf")
    (work / "tiny_molecules.csv").write_text("SMILES\n" + "\n".join(tiny_smiles()) + "\n")
    (work / "tiny.yaml").write_text(yaml.safe_dump(TINY))
    snakemake(work, "--configfile", "tiny.yaml")
    return work


@pytest.mark.slow
def test_tiny_molecules_run_writes_every_table(run):
    res = run / "results" / "molecules"
    data, _ = io.read_table(res / "data" / "dataset.parquet", io.DATASET)
    assert set(data["split"]) == {"train", "val", "test"}
    report, _ = io.read_table(res / "metrics" / "labeling_report.parquet", io.METRICS)
    assert report.loc[0, "n_invalid"] == len(INVALID)  # counted, never silently dropped
    n_parsed = len(tiny_smiles()) - len(INVALID)  # some templates give one molecule twice
    assert report.loc[0, "n_valid"] + report.loc[0, "n_duplicate"] == n_parsed
    assert report.loc[0, "n_valid"] == len(data) and report.loc[0, "n_input"] == n_parsed + 3
    lat, z = io.read_table(res / "latents.parquet", io.LATENTS)
    assert z.shape == (len(data), 8) and set(PROPERTIES) <= set(lat.columns)
    # default: PluGeN learns the properties of the decoded molecules; the data's are kept
    assert np.allclose(lat["data_logP"], data["logP"])
    vae, _ = io.read_table(res / "metrics" / "charvae.parquet", io.METRICS)
    assert vae.loc[0, "backbone"] == "trained in the run"
    assert vae.loc[0, "labels"] == "decoded" and 0 <= vae.loc[0, "decoded_validity"] <= 1
    gen, zg = io.read_table(res / "samples" / "generation.parquet", io.SAMPLES)
    assert gen["group"].nunique() == 10 and len(gen) == 60 and zg.shape == (60, 8)
    metrics, _ = io.read_table(res / "metrics" / "generation.parquet", io.METRICS)
    targeted = metrics[metrics["group"] != "unconditional"]
    assert len(targeted) == 9 and set(targeted["property"]) == set(PROPERTIES)
    assert ((metrics["validity"] >= 0) & (metrics["validity"] <= 1)).all()
    fcd, _ = io.read_table(res / "metrics" / "fcd.parquet", io.METRICS)
    assert "held-out" in set(fcd["group"]) and (fcd["fcd_n_removed"] >= 0).all()
    lead, _ = io.read_table(res / "metrics" / "lead_optimization.parquet", io.METRICS)
    assert len(lead) == 2 * 3 and list(lead["step"][:3]) == [0, 1, 2]
    assert np.allclose(lead["delta"][:3], [0.0, 1.5, 3.0])
    for name in ("property_densities", "lead_optimization"):
        assert (res / "figures" / f"{name}.png").exists()
    summary = (run / "results" / "summary.md").read_text()
    assert "## molecules" in summary and "### generation" in summary and "*Paper:*" in summary


@pytest.mark.slow
def test_noop_rerun_schedules_nothing(run, snakemake):
    proc = snakemake(run, "--configfile", "tiny.yaml", "-n", check=False)
    assert "Nothing to be done" in proc.stdout + proc.stderr


@pytest.mark.slow
def test_a_pretrained_backbone_by_path_replaces_training_and_is_hash_checked(run):
    from plugen.digest import file_sha256

    model = run / "results" / "molecules" / "models" / "charvae.pt"
    pretrained = run / "my_charvae.pt"
    pretrained.write_bytes(model.read_bytes())
    given = {"checkpoint": str(pretrained), "sha256": file_sha256(pretrained)}
    config = {**TINY, "molecules": {**TINY["molecules"], "backbone": given}}
    (run / "pretrained.yaml").write_text(yaml.safe_dump(config))
    cmd = [sys.executable, "-m", "snakemake", "-s", str(SNAKEFILE), "-d", str(run)]
    cmd += ["--cores", "1", "--configfile", "pretrained.yaml", "-n", "--forceall"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=run)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "molecules_train_charvae" not in proc.stdout and "molecules_latents" in proc.stdout
    pretrained.write_bytes(model.read_bytes()[:-10] + b"tampered!!")
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=run)
    assert proc.returncode != 0
    said = proc.stdout + proc.stderr
    assert f"molecules.backbone.checkpoint: {pretrained} has sha256" in said
    assert "Traceback" not in said
