"""Targeted generation requests/scores and lead optimization on cases with known answers."""

import numpy as np
import pandas as pd
import pytest

from plugen.experiments.molecules.chem import property_frame
from plugen.experiments.molecules.data import LABELS, PROPERTIES
from plugen.experiments.molecules.tasks import (
    UNCONDITIONAL,
    decoded_labels,
    generation_requests,
    lead_optimization,
    pick_seeds,
    score_generation,
)
from plugen.model import PluGeN


def test_requests_set_one_property_at_a_time():
    req = generation_requests({"logP": [1.5, 3.0], "SAS": [2.0]}, n_per_target=4)
    assert len(req) == 4 * 4 and req["group"].nunique() == 4
    first = req[req["group"] == "logP=1.5"]
    assert (first["target_logP"] == 1.5).all()
    assert first[["target_TPSA", "target_SAS"]].isna().all().all()
    assert (
        req.loc[req["group"] == UNCONDITIONAL, [f"target_{p}" for p in PROPERTIES]]
        .isna()
        .all()
        .all()
    )
    with pytest.raises(ValueError, match="unknown property"):
        generation_requests({"MW": [300]}, 2)


def test_score_generation_known_shift_and_counts():
    data = pd.DataFrame(
        {
            "split": ["train", "train", "test"],
            "smiles": ["CCO", "c1ccccc1", "CCN"],
            "logP": [1.0, 3.0, 9.0],  # train mean 2.0 (test rows are ignored)
            "TPSA": [10.0, 30.0, 0.0],
            "SAS": [2.0, 2.0, 2.0],
        }
    )
    req = generation_requests({"logP": [4.0]}, n_per_target=4)
    req["smiles"] = ["CCO", "CCCC", "CCCC", "bad("] + ["CCO", "CCN", "", "C1CC"]
    measured = pd.DataFrame(
        {
            "valid": [True, True, True, False, True, True, False, False],
            "logP": [3.0, 4.0, 4.0, np.nan, 2.5, 3.5, np.nan, np.nan],
            "TPSA": [1.0] * 8,
            "SAS": [1.0] * 8,
        }
    )
    table = score_generation(req, measured, data)
    row = table[table["group"] == "logP=4"].iloc[0]
    assert row["property"] == "logP" and row["target"] == 4.0
    assert row["validity"] == 0.75 and row["uniqueness"] == pytest.approx(2 / 3)
    assert row["novelty"] == pytest.approx(1 / 2)  # CCO is in the training split, CCCC is not
    assert row["mean"] == pytest.approx(11 / 3) and row["dataset_mean"] == 2.0
    assert row["target_shift"] == pytest.approx((11 / 3 - 2.0) / 2.0)
    assert row["shift_vs_unconditional"] == pytest.approx((11 / 3 - 3.0) / 1.0)
    uncond = table[table["group"] == UNCONDITIONAL]
    assert list(uncond["property"]) == list(PROPERTIES) and uncond["target_shift"].isna().all()
    assert uncond.iloc[0]["validity"] == 0.5


class _Lookup:
    """Stand-in decoder: latent row -> a molecule chosen by the first coordinate's rank."""

    MOLS = ["CCO", "CCCO", "CCCCO", "CCCCCO", "CCCCCCO", "CCCCCCCO", "CCCCCCCCO"]

    def __call__(self, z):
        return [self.MOLS[int(i)] for i in np.clip(np.round(z[:, 0] * 2 + 3), 0, 6)]


def test_lead_optimization_steps_and_similarity():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(3000, 6)).astype(np.float32)
    y = np.c_[z[:, 0], z[:, 1], z[:, 2]] + 0.1 * rng.normal(size=(3000, 3))
    model = PluGeN(6, list(PROPERTIES), LABELS, n_couplings=2, n_layers=2, hidden=32)
    model.fit(z, y, epochs=15, batch_size=256, lr=3e-3, patience=None)
    seeds = ["CCO", "CCCCO"]
    seed_z = np.array([[-1.5, 0, 0, 0, 0, 0], [-0.5, 0, 0, 0, 0, 0]], np.float32)
    table, zs = lead_optimization(model, _Lookup(), seeds, seed_z, "logP", 3.0, 4)
    assert len(table) == 8 and zs.shape == (8, 6)
    assert table["source_id"].tolist() == ["seed0"] * 4 + ["seed1"] * 4
    assert table["delta"].tolist()[:4] == pytest.approx([0.0, 1.0, 2.0, 3.0])
    first = table[table["source_id"] == "seed0"]
    assert first["logP"].is_monotonic_increasing and first["logP"].iloc[-1] > first["logP"].iloc[0]
    assert first["tanimoto"].iloc[0] == pytest.approx(1.0)  # step 0 decodes the seed itself
    expected = property_frame(table["smiles"].tolist())["logP"].to_numpy()
    np.testing.assert_allclose(table["logP"], expected)
    with pytest.raises(ValueError, match="n_steps"):
        lead_optimization(model, _Lookup(), seeds, seed_z, "logP", 3.0, 1)


def test_pick_seeds_uses_the_list_or_draws_test_molecules():
    data = pd.DataFrame({"split": ["train", "test", "test", "test"], "smiles": list("ABCD")})
    assert pick_seeds(data, ["CCO"], 3, 0) == ["CCO"]
    drawn = pick_seeds(data, [], 2, 0)
    assert len(drawn) == 2 and set(drawn) <= {"B", "C", "D"} and drawn == pick_seeds(data, [], 2, 0)


def test_decoded_labels_measure_what_the_decoder_writes():
    table = decoded_labels(lambda z: ["CCO" if v > 0 else "C1CC" for v in z[:, 0]], np.eye(2))
    assert table["valid"].tolist() == [True, False]
    assert table["logP"][0] == pytest.approx(-0.0014, abs=1e-4) and np.isnan(table["logP"][1])
