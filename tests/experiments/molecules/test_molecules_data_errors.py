"""Molecules csv errors: a file without a usable molecule stops with one line naming it."""

from __future__ import annotations

import logging

import pytest

from plugen.experiments.molecules.data import prepare_molecules

pytest.importorskip("rdkit")


def _csv(tmp_path, text: str):
    path = tmp_path / "mols.csv"
    path.write_text(text)
    return path


def test_a_csv_of_invalid_smiles_names_the_file_and_the_counts(tmp_path):
    path = _csv(tmp_path, 'SMILES\nnot_a_smiles\nC1CC\n""\nXyz\n')
    with pytest.raises(ValueError) as err:
        prepare_molecules(path)
    message = str(err.value)
    assert message.startswith(f"no valid molecule in {path}: 4 rows, 4 invalid SMILES")
    assert "\n" not in message and "not_a_smiles" in message


def test_a_header_alone_is_not_a_zero_row_dataset(tmp_path):
    path = _csv(tmp_path, "SMILES\n")
    with pytest.raises(ValueError, match=r"^no valid molecule in .*mols\.csv: 0 rows, 0 invalid"):
        prepare_molecules(path)


def test_molecules_all_too_long_say_so(tmp_path):
    path = _csv(tmp_path, "smiles\nCCCCCCCC\nCCCCCCCCO\n")
    with pytest.raises(ValueError, match="2 rows, 0 invalid SMILES, 2 longer than 5 characters"):
        prepare_molecules(path, max_length=5)


def test_an_empty_file_is_named(tmp_path):
    path = _csv(tmp_path, "")
    with pytest.raises(ValueError, match=r"mols\.csv: the file is empty, expected a csv with"):
        prepare_molecules(path)


def test_a_csv_without_a_smiles_column_lists_the_columns_found(tmp_path):
    path = _csv(tmp_path, "mol,value\nCCO,1\n")
    with pytest.raises(ValueError, match=r"mols\.csv: no SMILES column among \['mol', 'value'\]"):
        prepare_molecules(path)


def test_invalid_rows_are_counted_in_the_report_and_logged(tmp_path, caplog):
    path = _csv(tmp_path, 'SMILES\nCCO\nnot_a_smiles\n" "\nc1ccccc1\nCCN\n')
    with caplog.at_level(logging.WARNING):
        df, report = prepare_molecules(path, val_fraction=0.0, test_fraction=0.0)
    assert sorted(df["smiles"]) == ["CCN", "CCO", "c1ccccc1"]
    assert (report.n_input, report.n_valid, report.n_invalid) == (5, 3, 2)
    row = report.to_frame().iloc[0]
    assert row["n_invalid"] == 2 and row["invalid_examples"] == "not_a_smiles"
    assert "1 SMILES did not parse" in caplog.text
