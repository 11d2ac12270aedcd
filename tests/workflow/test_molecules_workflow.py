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


# --------------------------------------------------------------------------- backbone.kind: jtvae
OUT_OF_VOCABULARY = ["C[Si](C)(C)[Si](C)(C)C"]  # parses, but its cluster is not a JT-VAE word
TINY_JTVAE = {
    "experiments": ["molecules"],
    "molecules": {
        "data": {"csv": "tiny_molecules.csv", "n_molecules": None, "max_length": 40},
        "backbone": {"kind": "jtvae"},
        "jtvae": {"n_eval": 4, "processes": 2},
        "flow": TINY["molecules"]["flow"],
        "generation": {"n_per_target": 3},
        "fcd": {"n_reference": 20},
        "lead_optimization": {"n_seeds": 2, "n_steps": 3},
    },
}


def _jtvae_wheel():
    """The pinned JT-VAE wheel in the library's cache (fetched from PyPI when absent; the test
    skips when it cannot be); the workflow copies it from there."""
    from plugen.backbones.jtvae.weights import resolve_wheel
    from plugen.wheels import DEFAULT_WHEEL_DIR

    try:
        return resolve_wheel(DEFAULT_WHEEL_DIR)
    except RuntimeError as err:
        pytest.skip(f"jtnnencoder wheel unavailable: {err}")


@pytest.fixture(scope="module")
def jtvae_run(tmp_path_factory, snakemake):
    wheel = _jtvae_wheel()
    work = tmp_path_factory.mktemp("moljt")
    rows = tiny_smiles() + OUT_OF_VOCABULARY
    (work / "tiny_molecules.csv").write_text("SMILES\n" + "\n".join(rows) + "\n")
    (work / "tiny.yaml").write_text(yaml.safe_dump(TINY_JTVAE))
    snakemake(work, "--configfile", "tiny.yaml")
    return work, wheel


@pytest.mark.slow
def test_tiny_jtvae_run_encodes_decodes_and_reports_the_molecules_it_cannot_encode(jtvae_run):
    import torch

    from plugen.backbones.jtvae import load_jtvae
    from plugen.backbones.jtvae.weights import load_vocab
    from plugen.experiments.molecules.data import compute_properties
    from plugen.experiments.molecules.jtvae import not_encodable

    run, wheel = jtvae_run
    res = run / "results" / "molecules"
    copied = res / "data" / "wheel" / wheel.name
    assert copied.read_bytes() == wheel.read_bytes()
    data, _ = io.read_table(res / "data" / "dataset.parquet", io.DATASET)
    report, _ = io.read_table(res / "metrics" / "labeling_report.parquet", io.METRICS)
    labelled = compute_properties(tiny_smiles() + OUT_OF_VOCABULARY)["canonical"]
    canonical = labelled.dropna().drop_duplicates().tolist()
    expected = not_encodable(canonical, load_vocab(wheel))
    assert len(expected) >= 1  # at least the silicon molecule: counted, never silently dropped
    assert report.loc[0, "n_not_encodable"] == len(expected)
    assert report.loc[0, "n_valid"] == len(data) == len(canonical) - len(expected)
    assert report.loc[0, "n_invalid"] == len(INVALID)
    assert not set(data["smiles"]) & {canonical[i] for i in expected}
    lat, z, z_std = io.read_latents(res / "latents.parquet")
    assert z_std.shape == z.shape and (z_std > 0).all()
    assert z.shape == (len(data), 56) and set(PROPERTIES) <= set(lat.columns)
    # null plugin_labels with the JT-VAE: PluGeN learns the data molecules' properties
    assert np.allclose(lat["logP"], data["logP"]) and "data_logP" not in lat.columns
    torch.set_num_threads(1)
    enc = load_jtvae(wheel).encode(data["smiles"][:3].tolist())
    np.testing.assert_allclose(z[:3], enc.mean.numpy(), atol=1e-5)
    np.testing.assert_allclose(z_std[:3], np.exp(enc.log_var.numpy() / 2), rtol=1e-5)
    table, _ = io.read_table(res / "metrics" / "jtvae.parquet", io.METRICS)
    assert table.loc[0, "labels"] == "data" and table.loc[0, "n_eval"] == 4
    assert table.loc[0, "n_encoded"] == len(data)
    assert 0 <= table.loc[0, "reconstruction_accuracy"] <= 1
    assert not (res / "metrics" / "charvae.parquet").exists()
    gen, zg = io.read_table(res / "samples" / "generation.parquet", io.SAMPLES)
    assert gen["group"].nunique() == 10 and len(gen) == 30 and zg.shape == (30, 56)
    metrics, _ = io.read_table(res / "metrics" / "generation.parquet", io.METRICS)
    assert (metrics["validity"] > 0).all()  # decoded by the JT-VAE: almost always valid
    timing, _ = io.read_table(res / "metrics" / "decoding.parquet", io.METRICS)
    assert timing.loc[0, "backbone"] == "jtvae" and timing.loc[0, "n"] == 30
    assert timing.loc[0, "processes"] == 2 and timing.loc[0, "molecules_per_s"] > 0
    lead, _ = io.read_table(res / "metrics" / "lead_optimization.parquet", io.METRICS)
    assert len(lead) == 2 * 3 and lead["valid"].all()
    assert set(lead["seed_smiles"]) <= set(data.loc[data["split"] == "test", "smiles"])
    summary = (run / "results" / "summary.md").read_text()
    assert "### jtvae" in summary and "### generation" in summary
    assert "### decoding" not in summary  # timings: results/timings.md
    assert "### decoding" in (run / "results" / "timings.md").read_text()


@pytest.mark.slow
def test_jtvae_noop_rerun_schedules_nothing(jtvae_run, snakemake):
    run, _ = jtvae_run
    proc = snakemake(run, "--configfile", "tiny.yaml", "-n", check=False)
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_the_jtvae_dag_fetches_its_wheel_and_trains_no_charvae(tmp_path, snakemake):
    (tmp_path / "tiny_molecules.csv").write_text("SMILES\nCCO\n")
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(TINY_JTVAE))
    proc = snakemake(tmp_path, "--configfile", "tiny.yaml", "-n")
    said = proc.stdout
    assert "molecules_fetch_jtvae" in said and "molecules_train_charvae" not in said
    assert "results/molecules/metrics/jtvae.parquet" in said
    bad = {
        **TINY_JTVAE,
        "molecules": {**TINY_JTVAE["molecules"], "backbone": {"kind": "jtvae", "train": True}},
    }
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(bad))
    proc = snakemake(tmp_path, "--configfile", "bad.yaml", "-n", check=False)
    assert proc.returncode != 0
    said = proc.stdout + proc.stderr
    assert "molecules.backbone.train: applies to the CharVAE only" in said
    assert "Traceback" not in said
