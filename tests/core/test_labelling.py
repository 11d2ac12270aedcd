"""The GAN protocol's labelling, single-attribute flips, inversion report and latency."""

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from plugen import PluGeN, io, tasks
from plugen.evaluate.metrics import image_error
from plugen.labelling import inversion_report, inverted_table, label_latents

KINDS = {"a": "binary", "b": "binary", "v": "continuous"}


def _decode(z):
    """Fake decoder: an 'image' whose pixels encode z (so predict can read it back)."""
    return np.repeat(z[:, None, None, :3], 4, axis=1)


def _predict(images):
    z = images[:, 0, 0, :]
    return pd.DataFrame(
        {
            "pred_a": 1 / (1 + np.exp(-4 * z[:, 0])),
            "pred_b": 1 / (1 + np.exp(-4 * z[:, 1])),
            "pred_v": z[:, 2],
        }
    )


def test_label_latents_writes_the_latents_contract(tmp_path):
    z = np.random.default_rng(0).normal(size=(500, 6)).astype(np.float32)
    seen = []
    table = label_latents(
        z,
        _decode,
        _predict,
        KINDS,
        0.1,
        50,
        seed=0,
        batch_size=128,
        progress=lambda d, n: seen.append(d),
    )
    assert seen == [128, 256, 384, 500]
    assert table["split"].value_counts().to_dict() == {"train": 405, "val": 45, "test": 50}
    assert (table["split"].iloc[-50:] == "test").all()
    np.testing.assert_array_equal(table["a"], (z[:, 0] > 0).astype(np.float32))
    np.testing.assert_allclose(table["v"], z[:, 2], rtol=1e-6)
    assert {"prob_a", "prob_b"} <= set(table) and "prob_v" not in table
    path = tmp_path / "latents.parquet"
    io.write_table(path, table, io.LATENTS, z)
    back, zb = io.read_table(path, io.LATENTS)
    np.testing.assert_array_equal(zb, z)
    schema = pq.read_schema(path)
    assert {f.name: str(f.type) for f in schema if f.name != "z"} == {
        "id": "string",
        "split": "string",
        "a": "float",
        "prob_a": "float",
        "b": "float",
        "prob_b": "float",
        "v": "float",
    }
    assert str(schema.field("z").type) == "fixed_size_list<element: float>[6]"
    assert list(back.columns) == ["id", "split", "a", "prob_a", "b", "prob_b", "v"]
    assert label_latents(z, _decode, _predict, KINDS, 0.1, 50, seed=0).equals(table)


def test_label_latents_rejects_a_test_split_as_large_as_the_data():
    with pytest.raises(ValueError, match="n_test=10 must be in"):
        label_latents(np.zeros((10, 3), np.float32), _decode, _predict, KINDS, 0.1, 10, 0)


def _sources():
    return pd.DataFrame(
        {"id": [f"s{i}" for i in range(8)], "a": [0, 1] * 4, "b": [0, 0, 1, 1] * 2}
    ).astype({"a": np.float32, "b": np.float32})


def test_flip_requests_ask_only_for_values_the_source_lacks():
    req = tasks.flip_requests(_sources(), ["a", "b"], ["a", "b", "v"], n_per_value=3, seed=0)
    assert set(req["group"]) == {"a=0", "a=1", "b=0", "b=1"}
    assert req.groupby("group").size().max() == 3
    src = _sources().set_index("id")
    for _, r in req.iterrows():
        attr, v = r["group"].split("=")
        assert src.loc[r["source_id"], attr] != float(v) and r[f"target_{attr}"] == float(v)
        assert np.isnan(r["target_v"])


def test_score_flips_counts_requested_and_preserved_attributes():
    req = tasks.flip_requests(_sources(), ["a", "b"], ["a", "b"], n_per_value=4, seed=0)
    src = _sources().set_index("id")
    pred = []
    for _, r in req.iterrows():  # a perfect edit, except that flipping a also flips b
        attr, v = r["group"].split("=")
        p = {x: src.loc[r["source_id"], x] for x in ("a", "b")}
        p[attr] = float(v)
        if attr == "a":
            p["b"] = 1 - p["b"]
        pred.append({"sample_id": r["sample_id"], "pred_a": p["a"], "pred_b": p["b"]})
    table = tasks.score_flips(req, pd.DataFrame(pred), _sources(), ["a", "b"])
    rows = table.set_index(["attribute", "value"])
    assert rows.loc[("a", "both"), "accuracy"] == 1.0 and rows.loc[("a", "both"), "preserved"] == 0
    assert rows.loc[("b", "both"), "preserved"] == 1.0
    assert rows.loc[("mean", "both"), "accuracy"] == 1.0
    assert rows.loc[("mean", "both"), "preserved"] == 0.5
    assert rows.loc[("a", "1"), "n"] == 4


def test_inversion_report_and_table():
    rng = np.random.default_rng(0)
    real = rng.integers(0, 256, size=(4, 8, 8, 3), dtype=np.uint8)
    truth = pd.DataFrame(
        {"id": list("wxyz"), "a": [1.0, 0, 1, 0], "b": [0.0] * 4, "v": [0.1, 0.2, 0.3, 0.4]}
    )
    pred = pd.DataFrame(
        {"pred_a": [0.9, 0.2, 0.1, 0.3], "pred_b": [0.1] * 4, "pred_v": [0.1, 0.2, 0.3, 0.6]}
    )
    rep = inversion_report(real, real, truth, pred, KINDS).iloc[0]
    assert rep["mse"] == 0 and rep["label_kept_a"] == 0.75 and rep["label_kept_b"] == 1.0
    assert rep["abs_error_v"] == pytest.approx(0.05)
    tab = inverted_table(truth, pred, KINDS)
    assert list(tab["a"]) == [1, 0, 0, 0] and list(tab["true_a"]) == [1, 0, 1, 0]
    assert (tab["split"] == "test").all()


def test_image_error_matches_the_psnr_formula():
    a = np.zeros((2, 4, 4, 3), np.uint8)
    b = np.full_like(a, 51)  # 0.2 on the [0, 1] scale
    err = image_error(a, b)
    assert err["mse"] == pytest.approx(0.04) and err["psnr"] == pytest.approx(13.979, abs=1e-3)
    with pytest.raises(ValueError, match="shapes differ"):
        image_error(a, b[:1])


def test_manipulation_latency_reports_each_batch_size(synthetic_latents):
    z, y = synthetic_latents
    m = PluGeN(12, ["a", "b", "c"], n_couplings=2, hidden=16, n_layers=2)
    table = tasks.manipulation_latency(
        m, z[:64], {"a": 1.0}, decode=lambda x: x * 2, batch_sizes=(1, 32), min_seconds=0.01
    )
    assert list(table["batch_size"]) == [1, 32]
    assert (table["flow_ms_per_image"] > 0).all()
    assert (table["flow_decode_ms_per_image"] >= table["flow_ms_per_image"] * 0.5).all()


def test_unsure_labels_are_unknown_and_never_flip_sources():
    z = np.array([[2.0, 0, 0], [0.05, 0, 0], [-2.0, 0, 0], [0.0, 3, 0]] * 5, np.float32)
    table = label_latents(z, _decode, _predict, KINDS, 0.0, 4, seed=0, min_confidence=0.8)
    assert np.isnan(table["a"].iloc[1]) and table["a"].iloc[0] == 1 and table["a"].iloc[2] == 0
    assert table["a"].isna().sum() == 10  # rows with z_a = 0.05 and 0.0 are unsure
    req = tasks.flip_requests(table, ["a", "b"], ["a", "b", "v"], n_per_value=20, seed=0)
    assert (
        table.set_index("id")
        .loc[req.query("group.str.startswith('a')")["source_id"], "a"]
        .notna()
        .all()
    )
    with pytest.raises(ValueError, match="min_confidence"):
        label_latents(z, _decode, _predict, KINDS, 0.0, 4, seed=0, min_confidence=0.3)
