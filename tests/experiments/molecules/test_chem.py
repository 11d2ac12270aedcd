"""Chemistry metrics on hand-made cases with known answers."""

import sys

import numpy as np
import pytest

from plugen.experiments.molecules.chem import (
    fcd,
    generation_metrics,
    novelty,
    property_frame,
    tanimoto_to_seed,
    target_shift,
    uniqueness,
    valid_mask,
    validity,
)

ASPIRIN = "CC(=O)Oc1ccccc1C(=O)O"


def test_properties_of_ethanol_benzene_aspirin_are_rdkit_reference_values():
    df = property_frame(["CCO", "c1ccccc1", ASPIRIN, "C1CC"])
    assert df.valid.tolist() == [True, True, True, False]
    assert df.logP[:3].tolist() == pytest.approx([-0.0014, 1.6866, 1.3101], abs=1e-4)
    assert df.TPSA[:3].tolist() == pytest.approx([20.23, 0.0, 63.6], abs=1e-3)
    assert df.SAS[1] == pytest.approx(1.0, abs=1e-4)  # benzene: the easiest molecule
    assert df.iloc[3][["logP", "TPSA", "SAS"]].isna().all()


def test_validity_counts_unparsable_and_empty_strings_as_invalid():
    smiles = ["CCO", "C1CC", "xyz", "", "c1ccccc1", "C(C"]
    assert valid_mask(smiles).tolist() == [True, False, False, False, True, False]
    assert validity(smiles) == pytest.approx(2 / 6)
    assert np.isnan(validity([]))


def test_uniqueness_and_novelty_compare_molecules_not_strings():
    generated = ["CCO", "OCC", "c1ccccc1", "CCN", "bad("]
    assert uniqueness(generated) == pytest.approx(3 / 4)  # ethanol written twice
    assert novelty(generated, ["C(C)O", "C1=CC=CC=C1"]) == pytest.approx(1 / 3)  # only CCN new
    assert np.isnan(novelty(["bad("], ["CCO"]))


def test_target_shift_is_the_fraction_of_the_way_to_the_target():
    assert target_shift(np.array([2.0, 4.0, np.nan]), dataset_mean=1.0, target=5.0) == 0.5
    assert target_shift(np.array([5.0]), 1.0, 5.0) == 1.0
    assert target_shift(np.array([-1.0]), 1.0, -3.0) == 0.5  # shift downwards
    assert np.isnan(target_shift(np.array([np.nan]), 1.0, 5.0))
    with pytest.raises(ValueError, match="equals the data set mean"):
        target_shift(np.array([1.0]), 2.0, 2.0)


def test_tanimoto_to_seed():
    sim = tanimoto_to_seed([ASPIRIN, "OC(=O)c1ccccc1OC(C)=O", "CCCCCC", "bad("], ASPIRIN)
    assert sim[:2] == pytest.approx([1.0, 1.0])  # same molecule written differently
    assert 0.0 <= sim[2] < 0.2 and np.isnan(sim[3])
    with pytest.raises(ValueError, match="not a valid SMILES"):
        tanimoto_to_seed(["CCO"], "bad(")


REF = ["CCO", "c1ccccc1", ASPIRIN, "CCN", "CCCC", "CC(C)O", "c1ccncc1", "CCOC(=O)C"]


def test_fcd_is_zero_for_identical_sets_and_drops_invalid_smiles():
    same = fcd(REF + ["bad(", ""], REF)
    assert same["fcd"] == pytest.approx(0.0, abs=1e-3)
    assert (same["fcd_n_generated"], same["fcd_n_removed"]) == (len(REF), 2)
    other = fcd(["CCCCCCCCCl", "CCCCCCCCBr", "CCCCCCCCI", "CCCCCCCCF"], REF)
    assert other["fcd"] > 1.0


def test_fcd_is_nan_with_a_reason_when_it_cannot_be_computed(monkeypatch):
    assert np.isnan(fcd(["CCO", "bad("], REF)["fcd"])
    monkeypatch.setitem(sys.modules, "fcd_torch", None)  # as if fcd-torch were not installed
    row = fcd(REF, REF)
    assert np.isnan(row["fcd"]) and "fcd-torch unavailable" in row["fcd_note"]


def test_generation_metrics_row():
    row = generation_metrics(["CCO", "CCO", "CCN", "bad("], ["CCO"])
    assert row == {"n": 4, "validity": 0.75, "uniqueness": pytest.approx(2 / 3), "novelty": 0.5}


def test_fcd_groups_embed_the_reference_once(monkeypatch):
    from plugen.experiments.molecules import chem

    calls = []

    def fake_features(smiles, device="cpu", batch_size=512):
        calls.append(len(smiles))
        return np.array([[len(s), s.count("C")] for s in smiles], dtype=float)

    monkeypatch.setattr(chem, "chemnet_features", fake_features)
    rows = chem.fcd_groups({"a": REF[:4] + ["bad("], "b": REF}, REF)
    assert calls == [len(REF), 4, len(REF)]  # reference once, then each group
    assert rows["b"]["fcd"] == pytest.approx(0.0, abs=1e-6)
    assert (rows["a"]["fcd_n_generated"], rows["a"]["fcd_n_removed"]) == (4, 1)
