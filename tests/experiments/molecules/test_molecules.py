"""Molecule data: MOSES wheel extraction, csv reading, RDKit labels, splits (no network)."""

import gzip
import hashlib
import subprocess
import zipfile

import numpy as np
import pandas as pd
import pytest

from plugen.experiments.molecules import data as molecules
from plugen.experiments.molecules.data import (
    assign_splits,
    compute_properties,
    fetch_moses_csv,
    label_molecules,
    prepare_molecules,
    read_smiles_csv,
)

MEMBER = "moses/dataset/data/train.csv.gz"
CSV = "SMILES\nCCO\nc1ccccc1\nCC(=O)Oc1ccccc1C(=O)O\n"


def _fake_wheel(directory, name="molsets-0.3.1-py3-none-any.whl", text=CSV):
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(MEMBER, gzip.compress(text.encode()))
        zf.writestr("moses/__init__.py", "")
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


WHEEL = "molsets-0.3.1-py3-none-any.whl"


def _meta(name, sha):
    return {
        "package": "molsets",
        "version": "0.3.1",
        "filename": name,
        "sha256": sha,
        "member": MEMBER,
    }


def test_pinned_metadata_names_the_moses_member():
    import json

    meta = json.loads(molecules.DEFAULT_WHEEL_META.read_text())
    assert meta["member"] == MEMBER and len(meta["sha256"]) == 64
    assert meta["filename"].startswith("molsets-0.3.1")


def test_fetch_extracts_only_the_csv_from_a_cached_wheel(tmp_path, monkeypatch):
    wheel, sha = _fake_wheel(tmp_path / "wheels")
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("pip must not run"))
    out = fetch_moses_csv(tmp_path / "moses.csv", tmp_path / "wheels", _meta(wheel.name, sha))
    assert out.read_text() == CSV
    gz = fetch_moses_csv(tmp_path / "moses.csv.gz", tmp_path / "wheels", _meta(wheel.name, sha))
    assert gzip.decompress(gz.read_bytes()).decode() == CSV


def test_fetch_rejects_a_wheel_with_the_wrong_hash(tmp_path, monkeypatch):
    def fake_pip(cmd, **kwargs):  # "downloads" a wheel whose content differs from the pin
        _fake_wheel(tmp_path / "wheels", text="SMILES\nCCN\n")
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(subprocess, "run", fake_pip)
    with pytest.raises(ValueError, match="sha256"):
        fetch_moses_csv(tmp_path / "m.csv", tmp_path / "wheels", _meta(WHEEL, "0" * 64))
    assert not (tmp_path / "m.csv").exists()


def test_fetch_without_network_explains_what_to_do(tmp_path, monkeypatch):
    failed = subprocess.CompletedProcess([], 1, "", "Could not connect to pypi.org")
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: failed)
    with pytest.raises(RuntimeError, match="by hand"):
        fetch_moses_csv(tmp_path / "m.csv", tmp_path / "w", _meta(WHEEL, "0" * 64))


@pytest.fixture
def zinc_csv(tmp_path):
    # ZINC250k style: lower-case column, newline inside the quotes, an extra column
    path = tmp_path / "zinc.csv.gz"
    rows = ['"CCO\n",1.0', '"c1ccccc1\n",2.0', '"",3.0', '"CCCCCCCCCCCCCCCC\n",4.0', '"CCN\n",5.0']
    with gzip.open(path, "wt") as fh:
        fh.write("smiles,logP\n" + "\n".join(rows) + "\n")
    return path


def test_read_detects_column_strips_and_counts_what_it_drops(zinc_csv):
    read = read_smiles_csv(zinc_csv, max_length=10)
    assert read.column == "smiles"
    assert read.smiles == ["CCO", "c1ccccc1", "CCN"]
    assert (read.n_rows, read.n_empty, read.n_too_long) == (5, 1, 1)


def test_read_subsample_is_seeded_and_keeps_file_order(zinc_csv):
    a = read_smiles_csv(zinc_csv, limit=2, seed=3).smiles
    assert a == read_smiles_csv(zinc_csv, limit=2, seed=3).smiles
    assert len(a) == 2 and all(s in ["CCO", "c1ccccc1", "CCCCCCCCCCCCCCCC", "CCN"] for s in a)
    order = ["CCO", "c1ccccc1", "CCCCCCCCCCCCCCCC", "CCN"]
    assert [order.index(s) for s in a] == sorted(order.index(s) for s in a)


def test_read_names_the_missing_column(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("mol,value\nCCO,1\n")
    with pytest.raises(ValueError, match="no SMILES column"):
        read_smiles_csv(path)
    with pytest.raises(ValueError, match="'structure' not found"):
        read_smiles_csv(path, column="structure")


def test_labels_match_rdkit_and_invalid_ones_are_reported():
    smiles = ["OCC", "c1ccccc1", "C1CC", "not_a_smiles", "CCO", "CCCCCCCCCCCC"]
    df, report = label_molecules(smiles, max_length=10)
    assert list(df.columns) == ["id", "smiles", "logP", "TPSA", "SAS"]
    assert df.smiles.tolist() == ["CCO", "c1ccccc1"]  # canonical; second ethanol is a duplicate
    assert df.id.tolist() == ["mol0000000", "mol0000001"]
    assert all(df[c].dtype == np.float32 for c in ["logP", "TPSA", "SAS"])
    assert df.logP.tolist() == pytest.approx([-0.0014, 1.6866], abs=1e-4)
    assert df.TPSA.tolist() == pytest.approx([20.23, 0.0], abs=1e-3)
    assert (report.n_input, report.n_valid, report.n_invalid) == (6, 2, 2)
    assert (report.n_duplicate, report.n_too_long) == (1, 1)
    assert report.invalid_examples == ["C1CC", "not_a_smiles"]
    table = report.to_frame()
    assert table.loc[0, "n_invalid"] == 2 and "C1CC" in table.loc[0, "invalid_examples"]


def test_two_processes_give_the_same_labels_in_the_same_order():
    smiles = ["CCO", "c1ccccc1", "bad", "CC(=O)O", "CCN", "CCCl", "c1ccncc1"] * 3
    one = compute_properties(smiles, processes=1, chunk_size=2)
    two = compute_properties(smiles, processes=2, chunk_size=2)
    pd.testing.assert_frame_equal(one, two)
    assert one.canonical.isna().sum() == 3


def test_splits_have_the_requested_sizes_and_are_seeded():
    df = pd.DataFrame({"id": [f"m{i}" for i in range(100)]})
    a = assign_splits(df, 0.1, 0.2, seed=1)
    assert a.split.value_counts().to_dict() == {"train": 70, "test": 20, "val": 10}
    assert a.split.tolist() == assign_splits(df, 0.1, 0.2, seed=1).split.tolist()
    assert a.split.tolist() != assign_splits(df, 0.1, 0.2, seed=2).split.tolist()
    with pytest.raises(ValueError, match="sum to less than 1"):
        assign_splits(df, 0.6, 0.5)


def test_prepare_accounts_for_every_row(zinc_csv):
    df, report = prepare_molecules(zinc_csv, max_length=10, val_fraction=0.34, test_fraction=0.0)
    assert list(df.columns) == ["id", "split", "smiles", "logP", "TPSA", "SAS"]
    assert len(df) == 3 and set(df.split) == {"train", "val"}
    parts = report.n_valid + report.n_invalid + report.n_too_long + report.n_duplicate
    assert report.n_input == 5 == parts + report.n_not_sampled
