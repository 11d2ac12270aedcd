import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch

from plugen.data.user import (
    assign_splits,
    binarize,
    broadcast_w_plus,
    infer_kinds,
    load_user_data,
    read_labels,
    read_latents,
    reduce_w_plus,
    write_latents,
)

Z = np.arange(24, dtype=np.float32).reshape(6, 4) / 10


def _parquet(path, ids, rows, typ=None):
    pq.write_table(pa.table({"id": ids, "z": pa.array(rows, type=typ)}), path)
    return path


def _csv(path, text):
    path.write_text(text)
    return path


# ---------------------------------------------------------------------------- latents
def test_every_latent_format_reads_the_same_array(tmp_path):
    np.save(tmp_path / "z.npy", Z)
    torch.save(torch.from_numpy(Z), tmp_path / "t.pt")
    torch.save({"latents": torch.from_numpy(Z), "note": "w"}, tmp_path / "d.pt")
    ids = [f"img{i}" for i in range(6)]
    _parquet(tmp_path / "fixed.parquet", ids, Z.tolist(), pa.list_(pa.float32(), 4))
    _parquet(tmp_path / "var.parquet", ids, Z.astype(np.float64).tolist())
    for name in ("z.npy", "t.pt", "d.pt", "fixed.parquet", "var.parquet"):
        z, got_ids = read_latents(tmp_path / name)
        assert z.dtype == np.float32 and z.shape == (6, 4), name
        np.testing.assert_allclose(z, Z, rtol=1e-6, err_msg=name)
        assert got_ids == (ids if name.endswith("parquet") else None), name


def test_w_plus_latents_round_trip_through_parquet_and_reduce(tmp_path):
    w = np.stack([Z, Z + 1, Z + 5], 1)  # (6, 3, 4)
    write_latents(tmp_path / "w.parquet", w, [f"s{i}" for i in range(6)])
    back, ids = read_latents(tmp_path / "w.parquet")
    np.testing.assert_array_equal(back, w)
    assert ids[0] == "s0"
    np.testing.assert_array_equal(reduce_w_plus(w, "first"), Z)
    np.testing.assert_allclose(reduce_w_plus(w, "mean"), Z + 2, rtol=1e-6)
    np.testing.assert_array_equal(reduce_w_plus(Z, "mean"), Z)  # (n, d) passes through
    b = broadcast_w_plus(Z, 5)
    assert b.shape == (6, 5, 4) and np.array_equal(b[:, 4], Z)
    write_latents(tmp_path / "w.npy", w)
    assert read_latents(tmp_path / "w.npy")[0].shape == (6, 3, 4)
    with pytest.raises(ValueError, match="mode"):
        reduce_w_plus(w, "last")


@pytest.mark.parametrize(
    "name, make, match",
    [
        ("z.csv", lambda p: p.write_text("1,2"), "unknown latents format '.csv'"),
        ("z.npy", lambda p: np.save(p, np.zeros(5)), r"shape \(5,\), expected \(n, d\)"),
        ("z.npy", lambda p: np.save(p, np.zeros((2, 2, 2, 2))), "expected"),
        ("z.npy", lambda p: np.save(p, np.zeros((0, 4))), "at least one latent"),
        ("z.npy", lambda p: p.write_bytes(b"not numpy"), "not a readable .npy"),
        ("z.pt", lambda p: torch.save({"a": torch.zeros(2), "b": torch.zeros(2)}, p), "2 tensor"),
        ("z.pt", lambda p: p.write_text("junk"), "not a readable .pt"),
        ("z.parquet", lambda p: _parquet(p, ["a", "b"], [[1.0, 2.0], [3.0]]), "ragged"),
        ("z.parquet", lambda p: _parquet(p, ["a", "a"], [[1.0], [3.0]]), "duplicate id"),
    ],
)
def test_bad_latents_name_the_file_and_the_problem(tmp_path, name, make, match):
    path = tmp_path / name
    make(path)
    with pytest.raises(ValueError, match=match) as err:
        read_latents(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_latents_with_nan_rows_say_how_many(tmp_path):
    z = Z.copy()
    z[1, 2], z[4, 0] = np.nan, np.inf
    np.save(tmp_path / "z.npy", z)
    with pytest.raises(ValueError, match=r"z\.npy: 2 of 6 latent\(s\) contain NaN"):
        read_latents(tmp_path / "z.npy")


def test_missing_latents_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.npy: no such latents file"):
        read_latents(tmp_path / "nothere.npy")


# ---------------------------------------------------------------------------- labels
def test_labels_without_id_are_taken_in_order_with_unknown_cells(tmp_path):
    rng = np.random.default_rng(0)
    n = 40
    smile = rng.integers(0, 2, n).astype(float)
    age = rng.normal(40, 10, n)
    hidden = rng.random(n) < 0.3
    cells = [("" if h else f"{s:g}", f"{a:.3f}") for s, a, h in zip(smile, age, hidden)]
    text = "smile,age\n" + "\n".join(f"{s},{a}" for s, a in cells)
    frame = read_labels(_csv(tmp_path / "y.csv", text), n)
    assert list(frame.columns) == ["id", "smile", "age"]
    assert frame["id"].tolist() == [str(i) for i in range(n)]
    assert frame["smile"].dtype == np.float32 and frame["age"].dtype == np.float32
    assert frame["smile"].isna().sum() == hidden.sum() > 0
    np.testing.assert_array_equal(frame["smile"][~hidden], smile[~hidden])
    np.testing.assert_allclose(frame["age"], age, atol=1e-3)


def test_labels_with_id_are_matched_to_the_latent_ids(tmp_path):
    path = _csv(tmp_path / "y.csv", "id,split,round\nc,test,1\na,train,0\nb,val,\n")
    frame = read_labels(path, 3, ids=["a", "b", "c"])
    assert frame["id"].tolist() == ["a", "b", "c"]
    assert frame["split"].tolist() == ["train", "val", "test"]
    assert frame["round"].tolist()[0::2] == [0.0, 1.0] and np.isnan(frame["round"][1])


def test_labels_without_id_take_the_latent_ids(tmp_path):
    frame = read_labels(_csv(tmp_path / "y.csv", "round\n1\n0\n"), 2, ids=["p", "q"])
    assert frame["id"].tolist() == ["p", "q"]


@pytest.mark.parametrize(
    "text, ids, match",
    [
        ("a\n1\n0\n", None, "has 2 label rows but there are 3 latents"),
        ("id,a\nx,1\ny,0\nq,1\n", ["x", "y", "z"], r"no row for latent id\(s\) 'z'.*'q'"),
        ("a,split\n1,train\n0,later\n1,test\n", None, r"'split' has value\(s\) \['later'\]"),
        ("a,b\n1,2\n0,yes\n1,3\n", None, "column 'b', line 3: 'yes' is not a number"),
        ("a,b\n1,\n0,\n1,\n", None, "attribute column 'b' has no known value"),
        ("id,split\nx,train\ny,val\nz,test\n", None, "no attribute column"),
        ("a,a\n1,1\n1,1\n1,1\n", None, "duplicate column"),
        ("a,b\n1,2,3\n0,1\n1,1\n", None, r"line 2 has 3 field\(s\), the header has 2"),
        ("", None, "not a readable csv"),
    ],
)
def test_bad_labels_name_the_file_and_the_problem(tmp_path, text, ids, match):
    path = _csv(tmp_path / "labels.csv", text)
    with pytest.raises(ValueError, match=match) as err:
        read_labels(path, 3, ids)
    assert "labels.csv" in str(err.value) and "\n" not in str(err.value)


def test_missing_labels_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="y.csv: no such labels file"):
        read_labels(tmp_path / "y.csv", 3)


# ---------------------------------------------------------------------------- kinds, splits
def test_kinds_are_inferred_and_overridden():
    y = pd.DataFrame(
        {"a": [0, 1, np.nan, 1], "pm": [-1, 1, 1, np.nan], "t": [0.5, 2, 3, 1], "one": [1] * 4}
    )
    cols = ["a", "pm", "t", "one"]
    assert infer_kinds(y, cols) == {
        "a": "binary",
        "pm": "binary",
        "t": "continuous",
        "one": "binary",
    }
    assert infer_kinds(y, cols, {"a": "continuous"})["a"] == "continuous"
    with pytest.raises(ValueError, match="'t' is declared binary"):
        infer_kinds(y, cols, {"t": "binary"})
    with pytest.raises(ValueError, match=r"unknown attribute\(s\) \['smile'\]"):
        infer_kinds(y, cols, {"smile": "binary"})


def test_binarize_maps_minus_one_to_zero_and_keeps_unknowns():
    y = pd.DataFrame({"pm": [-1.0, 1.0, np.nan], "a": [0.0, 1.0, 1.0], "t": [-1.0, 1.0, 0.0]})
    out = binarize(y, {"pm": "binary", "a": "binary", "t": "continuous"})
    assert out["pm"].tolist()[:2] == [0.0, 1.0] and np.isnan(out["pm"][2])
    assert out["a"].tolist() == [0.0, 1.0, 1.0] and out["t"].tolist() == [-1.0, 1.0, 0.0]
    assert y["pm"][0] == -1.0  # the input is left alone


def test_assign_splits_is_seeded_and_cut_80_10_10():
    s = assign_splits(100, seed=3)
    assert [int((s == k).sum()) for k in ("train", "val", "test")] == [80, 10, 10]
    assert np.array_equal(s, assign_splits(100, seed=3))
    assert not np.array_equal(s, assign_splits(100, seed=4))
    for n in (3, 4, 7):
        assert set(assign_splits(n, seed=0)) == {"train", "val", "test"}
    given = ["test", "train", "val"]
    assert assign_splits(3, 0, given=given).tolist() == given
    with pytest.raises(ValueError, match=r"\['dev'\]"):
        assign_splits(2, 0, given=["dev", "train"])


def test_load_user_data_puts_w_plus_latents_and_labels_together(tmp_path):
    rng = np.random.default_rng(1)
    n = 50
    w = rng.normal(size=(n, 3, 6)).astype(np.float32)
    ids = [f"face{i:02d}" for i in range(n)]
    write_latents(tmp_path / "w.parquet", w, ids)
    order = rng.permutation(n)  # labels in another order, matched by id
    rows = [f"{ids[i]},{2 * (i % 2) - 1},{i / 10}" for i in order]
    _csv(tmp_path / "y.csv", "id,smile,age\n" + "\n".join(rows))
    data = load_user_data(tmp_path / "w.parquet", tmp_path / "y.csv", seed=5)
    assert data.layers == 3 and data.kinds == {"smile": "binary", "age": "continuous"}
    np.testing.assert_array_equal(data.z, w[:, 0])
    assert list(data.frame.columns) == ["id", "split", "smile", "age"]
    assert data.frame["id"].tolist() == ids
    assert data.frame["smile"].tolist() == [float(i % 2) for i in range(n)]
    np.testing.assert_allclose(data.frame["age"], np.arange(n) / 10, rtol=1e-6)
    assert sorted(data.frame["split"].value_counts().tolist()) == [5, 5, 40]
    mean = load_user_data(tmp_path / "w.parquet", tmp_path / "y.csv", w_plus="mean")
    np.testing.assert_allclose(mean.z, w.mean(1), rtol=1e-5)


# ---------------------------------------------------------------------------- audit: bad labels
@pytest.mark.parametrize(
    "header, message",
    [
        ("z", "labels.csv: column 'z' is a reserved name (the latents' column); rename it"),
        (
            "Unnamed: 0",
            "labels.csv: column 'Unnamed: 0' looks like a saved pandas index; "
            "drop it (to_csv(index=False))",
        ),
        ("ID", "labels.csv: column 'ID': did you mean 'id'?"),
        ("Id", "labels.csv: column 'Id': did you mean 'id'?"),
        ("Split", "labels.csv: column 'Split': did you mean 'split'?"),
    ],
)
def test_labels_with_a_reserved_index_or_miscased_column_are_refused(tmp_path, header, message):
    path = _csv(tmp_path / "labels.csv", f"{header},smile\n0,1\n1,0\n2,1\n")
    with pytest.raises(ValueError) as err:
        read_labels(path, 3)
    assert str(err.value) == f"{path}: {message.removeprefix('labels.csv: ')}"


def test_labels_id_column_without_latent_ids_holds_row_numbers(tmp_path):
    path = _csv(tmp_path / "labels.csv", "id,smile\n2,1\n0,0\n1,1\n")
    frame = read_labels(path, 3)
    assert frame["id"].tolist() == ["0", "1", "2"]
    assert frame["smile"].tolist() == [0.0, 1.0, 1.0]  # put in row-number order
    bad = _csv(tmp_path / "bad.csv", "id,smile\nimg_a,1\nimg_b,0\nimg_c,1\n")
    with pytest.raises(ValueError) as err:
        read_labels(bad, 3)
    assert str(err.value) == (
        f"{bad}: the latents have no ids, so column 'id' must hold the row numbers 0..2 "
        "(in any order), or be dropped to match rows in file order; no row for latent id(s) "
        "'0', '1', '2'; rows for id(s) not among the latents 'img_a', 'img_b', 'img_c'"
    )


def test_labels_with_an_excel_byte_order_mark_read_the_first_column(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_bytes("id,smile\n1,0\n0,1\n".encode("utf-8-sig"))
    frame = read_labels(path, 2)
    assert list(frame.columns) == ["id", "smile"]
    assert frame["smile"].tolist() == [1.0, 0.0]


def test_labels_column_with_one_known_value_is_refused(tmp_path):
    path = _csv(tmp_path / "labels.csv", "smile,const\n0,1\n1,\n1,1\n")
    with pytest.raises(ValueError) as err:
        read_labels(path, 3)
    assert str(err.value) == (
        f"{path}: attribute column 'const' has a single known value (1); "
        "nothing can be learned from it: drop the column"
    )


def test_two_valued_column_that_is_not_binary_warns_and_stays_continuous(caplog):
    y = pd.DataFrame({"smile": [0.0, 2.0, 2.0], "a": [0.0, 1.0, 1.0]})
    with caplog.at_level("WARNING", logger="plugen.data.user"):
        kinds = infer_kinds(y, ["smile", "a"])
    assert kinds == {"smile": "continuous", "a": "binary"}
    assert caplog.messages == [
        "attribute 'smile' has the two values 0 and 2 and is taken as continuous; recode it "
        "to 0/1 to make it binary, or declare it continuous in kinds (smile=continuous) to "
        "keep it so"
    ]
    caplog.clear()
    with caplog.at_level("WARNING", logger="plugen.data.user"):
        infer_kinds(y, ["smile", "a"], {"smile": "continuous"})
    assert caplog.messages == []


def test_more_attributes_than_latent_width_names_both_files(tmp_path):
    np.save(tmp_path / "z.npy", np.random.default_rng(0).normal(size=(4, 2)).astype(np.float32))
    labels = _csv(tmp_path / "labels.csv", "a,b,c\n0,1,0\n1,0,1\n0,0,1\n1,1,0\n")
    with pytest.raises(ValueError) as err:
        load_user_data(tmp_path / "z.npy", labels)
    assert str(err.value) == (
        f"{labels}: 3 label column(s) but the latents in {tmp_path / 'z.npy'} have width 2; "
        "PluGeN needs fewer attributes than the latent width: drop label columns or use "
        "wider latents"
    )


def test_a_posterior_spread_file_is_read_beside_the_latents_and_checked(tmp_path):
    z = np.random.default_rng(0).normal(size=(20, 4)).astype(np.float32)
    np.save(tmp_path / "z.npy", z)
    np.save(tmp_path / "std.npy", np.full((20, 4), 0.3, np.float32))
    pd.DataFrame({"a": np.arange(20) % 2}).to_csv(tmp_path / "y.csv", index=False)
    data = load_user_data(tmp_path / "z.npy", tmp_path / "y.csv", latents_std=tmp_path / "std.npy")
    assert data.z_std.shape == (20, 4) and (data.z_std == np.float32(0.3)).all()
    assert load_user_data(tmp_path / "z.npy", tmp_path / "y.csv").z_std is None
    np.save(tmp_path / "short.npy", np.ones((19, 4), np.float32))
    np.save(tmp_path / "neg.npy", -np.ones((20, 4), np.float32))
    np.save(tmp_path / "wplus.npy", np.ones((20, 2, 4), np.float32))
    for name, message in [
        ("short.npy", r"of .*z.npy\): shape \(19, 4\), the latents have \(20, 4\)"),
        ("neg.npy", "must be finite and >= 0"),
    ]:
        with pytest.raises(ValueError, match=message):
            load_user_data(tmp_path / "z.npy", tmp_path / "y.csv", latents_std=tmp_path / name)
    with pytest.raises(ValueError, match="W\\+ latents are samples already"):
        load_user_data(tmp_path / "wplus.npy", tmp_path / "y.csv", latents_std=tmp_path / "std.npy")
