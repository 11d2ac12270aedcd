"""molecules.backbone.kind: the backbone interface, the JT-VAE adapter (wheel copy, vocabulary,
encodability, process pool, report) and the spec's keys. The tests of the published weights
need the pinned wheel (the library's cache, fetched when absent) and skip without network."""

import gzip
import hashlib
import os
import subprocess
import zipfile

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("rdkit")

from plugen.backbones.jtvae.weights import load_vocab  # noqa: E402
from plugen.config import ConfigError, validate_config  # noqa: E402
from plugen.experiments import get  # noqa: E402
from plugen.experiments.molecules import jtvae as jt  # noqa: E402
from plugen.experiments.molecules.backbone import (  # noqa: E402
    CharVAEBackbone,
    MoleculeBackbone,
    load_backbone,
    timing_frame,
)
from plugen.experiments.molecules.data import prepare_molecules  # noqa: E402

VOCAB_MEMBER = "jtnnencoder/data/vocab.txt"
# kekulé cluster labels: ethanol's two bonds, benzene, and the ring-to-chain bond
VOCAB = "CC\nCO\nC1=CC=CC=C1\n"


# --------------------------------------------------------------------------- a fabricated wheel
def _wheel(folder, vocab=VOCAB, name="jtnnencoder-0.1-py3-none-any.whl"):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(VOCAB_MEMBER, vocab)
        zf.writestr("jtnnencoder/__init__.py", "")
    return path


def _meta(wheel, vocab=VOCAB):
    return {
        "name": "jtnnencoder",
        "version": "0.1",
        "filename": wheel.name,
        "sha256": hashlib.sha256(wheel.read_bytes()).hexdigest(),
        "vocab": VOCAB_MEMBER,
        "vocab_sha256": hashlib.sha256(vocab.encode()).hexdigest(),
    }


def _no_pip(*args, **kwargs):
    raise AssertionError("pip must not run: the cache holds the wheel")


def test_the_wheel_is_copied_from_the_cache_and_hash_checked(tmp_path, monkeypatch):
    cached = _wheel(tmp_path / "cache")
    meta = _meta(cached)
    monkeypatch.setattr(subprocess, "run", _no_pip)
    dest = tmp_path / "run" / "wheel" / cached.name
    got = jt.fetch_jtvae_wheel(dest, meta, cache=tmp_path / "cache")
    assert got == dest and dest.read_bytes() == cached.read_bytes()
    assert not list(dest.parent.glob("*.tmp"))
    with pytest.raises(ValueError, match="must be named jtnnencoder-0.1-py3-none-any.whl"):
        jt.fetch_jtvae_wheel(tmp_path / "other.whl", meta, cache=tmp_path / "cache")


def test_a_wrong_cached_copy_is_not_used(tmp_path, monkeypatch):
    cached = _wheel(tmp_path / "cache")
    meta = {**_meta(cached), "sha256": "0" * 64}
    calls = []

    def pip_fails(cmd, **kwargs):
        calls.append(cmd)
        return subprocess.CompletedProcess(cmd, 1, "", "ERROR: no network")

    monkeypatch.setattr(subprocess, "run", pip_fails)
    dest = tmp_path / "run" / cached.name
    with pytest.raises(RuntimeError, match="pip download jtnnencoder==0.1 failed"):
        jt.fetch_jtvae_wheel(dest, meta, cache=tmp_path / "cache")
    assert len(calls) == 1 and not dest.exists()


def test_the_vocabulary_is_read_out_of_the_wheel_and_hash_checked(tmp_path):
    wheel = _wheel(tmp_path)
    vocab = load_vocab(wheel, _meta(wheel))
    assert vocab.labels == ["CC", "CO", "C1=CC=CC=C1"]
    with pytest.raises(ValueError, match="the vocabulary changed"):
        load_vocab(wheel, {**_meta(wheel), "vocab_sha256": "1" * 64})


# --------------------------------------------------------------------------- encodability
def test_not_encodable_names_out_of_vocabulary_and_invalid_molecules(tmp_path):
    vocab = load_vocab(_wheel(tmp_path), _meta(_wheel(tmp_path)))
    smiles = ["CCO", "OCC", "CCN", "not a smiles", "CC.O", "Cc1ccccc1", "c1ccccc1CO"]
    problems = jt.not_encodable(smiles, vocab)
    assert sorted(problems) == [2, 3, 4]
    assert problems[2] == ("out_of_vocabulary", "CCN: clusters not in the vocabulary: CN")
    assert problems[3][0] == "invalid" and "not a valid SMILES" in problems[3][1]
    assert problems[4] == ("invalid", "CC.O: several disconnected fragments")
    assert jt.not_encodable(smiles * 5, vocab, processes=2) == {
        i + 7 * k: why for k in range(5) for i, why in problems.items()
    }


def test_the_data_set_counts_and_leaves_out_what_the_backbone_cannot_encode(tmp_path):
    path = tmp_path / "m.csv.gz"
    rows = ["CCO", "CCN", "c1ccccc1", "bad(", "OCC", "CCCl", "Cc1ccccc1"]
    with gzip.open(path, "wt") as fh:
        fh.write("SMILES\n" + "\n".join(rows) + "\n")
    vocab = load_vocab(_wheel(tmp_path), _meta(_wheel(tmp_path)))
    seen = []

    def check(smiles, processes):
        seen.append(processes)
        return jt.not_encodable(smiles, vocab, processes)

    df, report = prepare_molecules(path, val_fraction=0.0, test_fraction=0.0, not_encodable=check)
    assert df["smiles"].tolist() == ["CCO", "c1ccccc1", "Cc1ccccc1"] and seen == [1]
    assert (report.n_not_encodable, report.n_invalid, report.n_duplicate) == (2, 1, 1)
    assert report.n_valid == len(df) == 3
    parts = report.n_valid + report.n_invalid + report.n_too_long + report.n_duplicate
    assert report.n_input == 7 == parts + report.n_not_sampled + report.n_not_encodable
    assert report.to_frame().loc[0, "n_not_encodable"] == 2
    _, plain = prepare_molecules(path, val_fraction=0.0, test_fraction=0.0)
    assert plain.n_not_encodable == 0 and plain.n_valid == 5
    nothing = tmp_path / "none.csv"
    nothing.write_text("SMILES\nCCN\nCCCl\n")
    with pytest.raises(ValueError, match="2 not encodable by the backbone"):
        prepare_molecules(nothing, val_fraction=0.0, test_fraction=0.0, not_encodable=check)


def test_stereo_counts_in_a_reconstruction_only_where_the_original_has_it():
    assert jt.same_molecule("C[C@H](N)CC", "CC(N)CC")  # MOSES: no stereo given
    assert jt.same_molecule("OCC", "CCO")
    assert not jt.same_molecule("C[C@H](N)CC", "C[C@@H](N)CC")
    assert jt.same_molecule("C[C@@H](N)CC", "C[C@@H](N)CC")
    assert not jt.same_molecule("CC(N)CC", "C[C@@H](N)CC")
    assert not jt.same_molecule("", "CCO") and not jt.same_molecule("CCN", "CCO")


# --------------------------------------------------------------------------- process pool
def _square(x):
    return x * x


def _pid(_):
    return os.getpid()


def test_chunks_cover_the_range_in_order():
    assert jt.chunks(0, 2) == []
    assert jt.chunks(10, 1, per_process=2) == [slice(0, 5), slice(5, 10)]
    assert jt.chunks(10, 2, per_process=2) == [slice(i, min(i + 3, 10)) for i in (0, 3, 6, 9)]
    assert jt.chunks(1000, 2, per_process=4, largest=64)[0] == slice(0, 64)
    assert jt.chunks(3, 8) == [slice(0, 1), slice(1, 2), slice(2, 3)]


def test_forked_map_keeps_order_and_runs_in_workers():
    assert jt.forked_map(_square, range(7), processes=3) == [x * x for x in range(7)]
    assert jt.forked_map(_square, range(7), processes=1) == [x * x for x in range(7)]
    assert set(jt.forked_map(_pid, range(1), processes=4)) == {os.getpid()}
    pids = set(jt.forked_map(_pid, range(6), processes=2))
    assert os.getpid() not in pids and 1 <= len(pids) <= 2


class _Halves(MoleculeBackbone):
    kind, latent_dim = "toy", 2

    def _decode(self, z):
        return ["C" * int(v) for v in z[:, 0]]


def test_decoding_is_timed_into_the_timing_table():
    toy = _Halves()
    assert toy.decode(np.array([[1, 0], [3, 0]]), what="generation") == ["C", "CCC"]
    table = timing_frame(toy)
    assert table.columns.tolist() == [
        "backbone",
        "what",
        "n",
        "seconds",
        "molecules_per_s",
        "processes",
    ]
    assert table.loc[0, ["backbone", "what", "n", "processes"]].tolist() == [
        "toy",
        "generation",
        2,
        1,
    ]
    assert table.loc[0, "seconds"] >= 0 and len(timing_frame(_Halves())) == 0


def test_load_backbone_names_the_kinds(tmp_path):
    with pytest.raises(ValueError, match=r"kind must be one of \['charvae', 'jtvae'\]"):
        load_backbone("gru", tmp_path / "x.pt")


def test_the_charvae_backbone_is_the_shipped_charvae():
    from plugen.experiments.molecules import SHIPPED_CHARVAE
    from plugen.experiments.molecules.charvae import CharVAE

    if not SHIPPED_CHARVAE.is_file():
        pytest.skip("the shipped CharVAE weights are absent")
    backbone = load_backbone("charvae", SHIPPED_CHARVAE)
    assert isinstance(backbone, CharVAEBackbone) and backbone.latent_dim == 56
    vae = CharVAE.load(SHIPPED_CHARVAE)
    smiles = ["CCO", "c1ccccc1"]
    z, z_std = backbone.posterior(smiles)
    np.testing.assert_array_equal(z, vae.encode_smiles(smiles))
    assert z_std.shape == z.shape and (z_std > 0).all()
    assert backbone.decode(z) == vae.decode_latents(z)


# --------------------------------------------------------------------------- the spec
def _config(**molecules):
    return validate_config({"experiments": ["molecules"], "molecules": molecules})


def test_the_kind_picks_the_backbone_table_and_the_labels():
    spec = get("molecules")
    default = _config()
    assert default["molecules"]["backbone"]["kind"] == "charvae"
    assert spec.plugin_labels(default) == "decoded"
    assert spec.summary_tables(default)[:2] == ("labeling_report", "charvae")
    assert spec.timing_tables(default) == ("decoding",)
    jtvae = _config(backbone={"kind": "jtvae"})
    assert spec.backbone_kind(jtvae) == "jtvae" and spec.backbone_file(jtvae) is None
    assert spec.plugin_labels(jtvae) == "data"
    assert spec.summary_tables(jtvae)[:2] == ("labeling_report", "jtvae")
    assert spec.plugin_labels(_config(backbone={"kind": "jtvae"}, plugin_labels="decoded")) == (
        "decoded"
    )
    assert spec.jtvae_wheel_name() == jt.wheel_name() == "jtnnencoder-0.1-py3-none-any.whl"


def test_charvae_keys_with_the_jtvae_are_refused_before_any_job():
    with pytest.raises(ConfigError, match="molecules.backbone.train: applies to the CharVAE only"):
        _config(backbone={"kind": "jtvae", "train": True})
    with pytest.raises(ConfigError, match="molecules.backbone.checkpoint: applies"):
        _config(backbone={"kind": "jtvae", "checkpoint": "my.pt"})
    with pytest.raises(ConfigError):
        _config(backbone={"kind": "gru"})


# --------------------------------------------------------------------------- published weights
def _wheel_file():
    from plugen.backbones.jtvae.weights import resolve_wheel
    from plugen.wheels import DEFAULT_WHEEL_DIR

    try:
        return resolve_wheel(DEFAULT_WHEEL_DIR)
    except RuntimeError as err:
        pytest.skip(f"jtnnencoder wheel unavailable: {err}")


@pytest.fixture(scope="module")
def backbone():
    return load_backbone("jtvae", _wheel_file(), processes=2)


SIMPLE = ["CC(=O)Nc1ccc(O)cc1", "CC(=O)Oc1ccccc1C(=O)O", "NC(=O)c1cccnc1"]


def test_jtvae_posterior_is_the_encoders_mean_and_spread(backbone):
    z, z_std = backbone.posterior(SIMPLE * 3)
    enc = backbone.model.encode(SIMPLE)
    assert z.shape == z_std.shape == (9, 56) and z.dtype == z_std.dtype == np.float32
    np.testing.assert_allclose(z[:3], enc.mean.numpy(), atol=1e-5)
    np.testing.assert_allclose(z_std[:3], np.exp(enc.log_var.numpy() / 2), rtol=1e-5)
    np.testing.assert_allclose(z[6:], z[:3], atol=1e-5)  # chunks in workers: same answers
    assert (z_std <= 1).all()  # log_var = -|linear| as trained
    with pytest.raises(ValueError, match=r"cannot encode 1 of 2 molecules: 'CC.O'"):
        backbone.posterior(["CCO", "CC.O"])


def test_jtvae_decodes_in_workers_as_in_one_process(backbone):
    z = backbone.encode(SIMPLE)
    assert backbone.decode(z) == SIMPLE
    noise = np.random.default_rng(0).standard_normal((6, 56)).astype(np.float32)
    serial = jt.JTVAEBackbone(backbone.model, processes=1)
    assert backbone.decode(noise) == serial.decode(noise)
    assert backbone.decode(np.full((1, 56), np.nan, dtype=np.float32)) == [""]
    assert backbone.timings[-1][3] == 2


def test_not_encodable_agrees_with_the_encoder(backbone):
    smiles = ["CCO", "not smiles", "CC.O", "CC(=O)Nc1ccc(O)cc1", "C[Si](C)(C)[Si](C)(C)C"]
    problems = jt.not_encodable(smiles, backbone.model.vocab)
    enc = backbone.model.encode(smiles, strict=False)
    assert sorted(problems) == sorted(enc.errors) == [1, 2, 4]
    assert problems[4][0] == "out_of_vocabulary"


def test_jtvae_report_on_molecules_it_reconstructs(backbone):
    row = jt.jtvae_report(backbone, SIMPLE, n_prior=4, seed=0)
    assert row["n_eval"] == 3 and row["reconstruction_accuracy"] == 1.0
    assert row["reconstruction_validity"] == 1.0
    assert row["reconstruction_corr_logP"] == pytest.approx(1.0)
    assert 0 <= row["prior_validity"] <= 1 and 0 <= row["prior_uniqueness"] <= 1
    assert row == jt.jtvae_report(backbone, SIMPLE, n_prior=4, seed=0)
    assert pd.isna(jt.jtvae_report(backbone, [], n_prior=0)["reconstruction_accuracy"])
