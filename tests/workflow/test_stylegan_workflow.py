"""`stylegan_ffhq` (Table 1) end to end through the real snakemake, on files in StyleFlow's real
formats (sg2latents.pickle, attributes.npy (N, 8, 1)) and a tiny TorchScript generator and judge
built here: W+ latents whose first-layer w carries the attributes."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
import yaml

from plugen import io


class Generator(torch.nn.Module):
    """W+ (n, 18, 512) or w (n, 512) -> images (n, 3, 8, 8) in [-1, 1]: row i shows
    tanh(w_i), i < 8."""

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        if w.dim() == 3:
            w = w[:, 0]
        rows = torch.tanh(w[:, :8])
        return rows[:, None, :, None].expand(-1, 3, -1, 8)


class Judge(torch.nn.Module):
    """images (n, 3, 8, 8) in [-1, 1] -> logits of male, glasses, bald, facial hair, smile, and
    age in years."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u = torch.atanh(x.mean((1, 3)).clamp(-0.999, 0.999))
        return torch.cat([4.0 * u[:, :5], 40 + 10 * u[:, 5:6]], 1)


def fabricate(folder, n: int = 2500, layers: int | None = None, seed: int = 0) -> dict:
    """StyleFlow's files for ``n`` images: W+ latents as sg2latents.pickle when ``layers`` is
    set, else w as latents.npy (N, 512); attributes.npy (N, 8, 1) whose values follow the first
    eight coordinates u of w (male, glasses, bald, facial hair, smile, age, yaw, pitch)."""
    rng = np.random.default_rng(seed)
    w = rng.normal(size=(n, 512)).astype(np.float32) * 0.5
    w[:, :8] = u = rng.normal(size=(n, 8))
    sig = 1 / (1 + np.exp(-3 * u))
    # attributes.npy columns: Gender, Glasses, Yaw, Pitch, Baldness, Beard, Age, Expression
    cols = [u[:, 0] > 0, u[:, 1] > 0, 20 * u[:, 6], 10 * u[:, 7], sig[:, 2], sig[:, 3]]
    cols += [40 + 10 * u[:, 5], sig[:, 4]]
    np.save(folder / "attributes.npy", np.stack(cols, 1).astype(np.float32)[:, :, None])
    if layers:
        latents = folder / "sg2latents.pickle"
        wplus = np.repeat(w[:, None], layers, 1)
        with open(latents, "wb") as fh:
            pickle.dump({"Latent": [wplus[i : i + 1] for i in range(n)]}, fh)
    else:
        latents = folder / "latents.npy"
        np.save(latents, w)
    torch.jit.script(Generator()).save(str(folder / "generator.pt"))
    torch.jit.script(Judge()).save(str(folder / "judge.pt"))
    return {
        "data": {"latents": str(latents), "attributes": str(folder / "attributes.npy")},
        "generator": str(folder / "generator.pt"),
        "classifier": str(folder / "judge.pt"),
        "classifier_outputs": ["male", "glasses", "bald", "facial_hair", "smile", "age"],
    }


def test_wplus_pickle_is_modelled_through_its_first_layer_and_decoded_with_18(tmp_path):
    from plugen import experiments
    from plugen.config import validate_config

    section = fabricate(tmp_path, 30, layers=18)
    section["data"]["n_test"] = 10
    cfg = validate_config({"experiments": ["stylegan_ffhq"], "stylegan_ffhq": section})
    spec = experiments.get("stylegan_ffhq")
    frame, z = spec.load_latents(cfg)
    assert z.shape == (30, 512) and list(frame["split"]) == ["test"] * 10 + ["train"] * 20
    assert spec.decoder(cfg).layers == 18
    assert set(frame["male"]) == {0.0, 1.0} and frame["age"].between(0, 90).all()


@pytest.fixture(scope="module")
def stylegan_run(tmp_path_factory, snakemake):
    work = tmp_path_factory.mktemp("stylegan")
    section = fabricate(work)
    section["flow"] = {
        "n_couplings": 4,
        "n_layers": 2,
        "hidden": 128,
        "sigma": 0.3,
        "train": {"epochs": 40, "batch_size": 128, "lr": 0.002, "patience": 6},
    }
    section["tasks"] = {"flip": {"n_per_value": 40}, "gradual": {"n_sources": 6}}
    section["baselines"] = {"methods": ["interfacegan"]}  # the rival rules serve it as well
    cfg = {"experiments": ["stylegan_ffhq"], "stylegan_ffhq": section}
    (work / "cfg.yaml").write_text(yaml.safe_dump(cfg))
    snakemake(work, "--configfile", "cfg.yaml")
    return work


@pytest.mark.slow
def test_table1_flips_every_attribute_and_prints_the_paper_beside(stylegan_run):
    res = stylegan_run / "results" / "stylegan_ffhq"
    lat, z = io.read_table(res / "latents.parquet", io.LATENTS)
    assert z.shape == (2500, 512) and (lat["split"] == "test").sum() == 500
    assert list(lat["split"][:500].unique()) == ["test"]  # the authors hold out the first 500
    flip, _ = io.read_table(res / "metrics" / "flip.parquet", io.METRICS)
    by_value = flip[flip["value"] != "both"]
    assert len(by_value) == 10  # female, male, no-glasses, glasses, ... as in Table 1
    mean = flip.query("attribute == 'mean'").iloc[0]
    assert mean["accuracy"] >= 0.9 and mean["preserved"] >= 0.9, flip
    grad, _ = io.read_table(res / "metrics" / "gradual.parquet", io.METRICS)
    assert grad["attribute"].iloc[0] == "age" and grad["spearman"].iloc[0] >= 0.9
    summary = (stylegan_run / "results" / "summary.md").read_text()
    assert "## stylegan_ffhq" in summary and "0.90" in summary  # the paper's PluGeN average
    assert (res / "figures" / "flip.png").exists()
    rival, _ = io.read_table(res / "metrics" / "compare_flip.parquet", io.METRICS)
    assert list(rival["method"]) == ["plugen", "interfacegan"]


def test_stylegan_bad_files_fail_before_any_job(tmp_path, snakemake):
    section = fabricate(tmp_path, n=40, layers=18)
    np.save(tmp_path / "attributes.npy", np.zeros((39, 8, 1), np.float32))
    cfg = {"experiments": ["stylegan_ffhq"], "stylegan_ffhq": section}
    (tmp_path / "cfg.yaml").write_text(yaml.safe_dump(cfg))
    proc = snakemake(tmp_path, "--configfile", "cfg.yaml", "-n", check=False)
    assert proc.returncode != 0 and "attributes.npy: 39 rows" in proc.stdout + proc.stderr
