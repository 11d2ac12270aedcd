import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from plugen import io


def _dataset(n=5):
    return pd.DataFrame(
        {
            "id": [f"x{i}" for i in range(n)],
            "split": ["train"] * (n - 1) + ["test"],
            "image_path": [f"images/x{i}.png" for i in range(n)],
            "round": np.arange(n, dtype=np.float32) % 2,
            "hue": np.linspace(0, 1, n),
        }
    )


def test_latents_round_trip_with_explicit_schema(tmp_path):
    df = _dataset().drop(columns="image_path")
    z = np.random.default_rng(0).normal(size=(5, 7)).astype(np.float32)
    path = io.write_table(tmp_path / "latents.parquet", df, io.LATENTS, z)
    schema = pq.read_schema(path)
    assert schema.field("z").type == pa.list_(pa.float32(), 7)
    assert schema.field("id").type == pa.string() and schema.field("hue").type == pa.float32()
    back, z_back = io.read_table(path, io.LATENTS)
    np.testing.assert_array_equal(z_back, z)
    assert list(back.columns) == ["id", "split", "round", "hue"]
    assert io.attribute_columns(back, io.LATENTS) == ["round", "hue"]


def test_write_is_atomic_and_leaves_no_temp_files(tmp_path):
    io.write_table(tmp_path / "d.parquet", _dataset(), io.DATASET)
    assert [p.name for p in tmp_path.iterdir()] == ["d.parquet"]


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda t: t.drop_columns(["split"]), r"missing column\(s\) \['split'\]"),
        (
            lambda t: t.set_column(3, "round", pa.array(["0"] * 5)),
            "column 'round' has type string, expected float",
        ),
        (
            lambda t: t.set_column(3, "round", pa.array([0, 1, 2**24 + 1, 0, 0], pa.int64())),
            "column 'round' has type int64, expected float.*not exactly representable",
        ),
        (
            lambda t: t.set_column(1, "split", pa.array(["train", "dev", "x", "x", "x"])),
            r"'split' has value\(s\)",
        ),
        (lambda t: t.append_column("smiles", pa.array(["C"] * 5)), "exactly one payload"),
    ],
)
def test_read_rejects_wrong_shaped_files_naming_file_and_column(tmp_path, mutate, message):
    path = io.write_table(tmp_path / "dataset.parquet", _dataset(), io.DATASET)
    pq.write_table(mutate(pq.read_table(path)), path)
    with pytest.raises(ValueError, match=message) as err:
        io.read_table(path, io.DATASET)
    assert "dataset.parquet" in str(err.value)


def test_latents_without_z_and_bad_width_are_errors(tmp_path):
    df = _dataset().drop(columns="image_path")
    with pytest.raises(ValueError, match="needs latents z"):
        io.write_table(tmp_path / "l.parquet", df, io.LATENTS)
    with pytest.raises(ValueError, match=r"z must have shape \(5, d\)"):
        io.write_table(tmp_path / "l.parquet", df, io.LATENTS, np.zeros((4, 3)))


def test_missing_and_corrupt_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such dataset table"):
        io.read_table(tmp_path / "nope.parquet", io.DATASET)
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(ValueError, match="not a readable Parquet file"):
        io.read_table(tmp_path / "bad.parquet", io.DATASET)


def test_images_round_trip(tmp_path):
    imgs = np.random.default_rng(0).integers(0, 255, size=(3, 8, 8, 3), dtype=np.uint8)
    rel = io.write_images(imgs, tmp_path / "images", ["a", "b/c", "d"])
    assert rel[1] == "images/b_c.png"
    np.testing.assert_array_equal(io.read_images(rel, tmp_path), imgs)
    with pytest.raises(FileNotFoundError, match="missing"):
        io.read_images(["images/zzz.png"], tmp_path)


def test_a_table_written_by_pandas_reads_back_converted_to_the_contract(tmp_path):
    """DataFrame.to_parquet writes large_string / double / int64 and a non-default index."""
    df = _dataset().astype({"round": np.int64, "hue": np.float64})
    df.index = [10, 11, 12, 13, 14]
    path = tmp_path / "pandas.parquet"
    df.to_parquet(path)
    back, z = io.read_table(path, io.DATASET)
    assert z is None
    assert list(back.columns) == ["id", "split", "image_path", "round", "hue"]
    assert back["round"].dtype == np.float32 and back["hue"].dtype == np.float32
    np.testing.assert_array_equal(back["round"], [0, 1, 0, 1, 0])
    np.testing.assert_allclose(back["hue"], df["hue"], rtol=1e-7)
    assert back["id"].tolist() == df["id"].tolist()


def test_list_latents_of_one_length_read_back_and_ragged_ones_are_refused(tmp_path):
    z = np.arange(15, dtype=np.float64).reshape(5, 3) / 7
    table = pa.table(
        {
            "id": pa.array([f"x{i}" for i in range(5)], pa.large_string()),
            "split": ["train"] * 5,
            "z": pa.array(list(z), pa.large_list(pa.float64())),
        }
    )
    pq.write_table(table, tmp_path / "l.parquet")
    _, back = io.read_table(tmp_path / "l.parquet", io.LATENTS)
    assert back.dtype == np.float32 and back.shape == (5, 3)
    np.testing.assert_array_equal(back, z.astype(np.float32))
    ragged = table.set_column(2, "z", pa.array([[0.0, 1.0]] * 4 + [[0.0]], pa.list_(pa.float32())))
    pq.write_table(ragged, tmp_path / "r.parquet")
    with pytest.raises(ValueError, match=r"r\.parquet: column 'z' has rows of lengths 1 to 2"):
        io.read_table(tmp_path / "r.parquet", io.LATENTS)


def test_integer_columns_are_cast_exactly_and_refused_when_they_do_not_fit(tmp_path):
    frame = pd.DataFrame({"epoch": np.array([1, 2, 3], np.int32), "train_loss": [3, 2, 1]})
    frame.to_parquet(tmp_path / "h.parquet")
    back, _ = io.read_table(tmp_path / "h.parquet", io.HISTORY)
    assert back["epoch"].dtype == np.int64 and back["train_loss"].dtype == np.float32
    samples = pd.DataFrame({"sample_id": ["a"], "smiles": ["C"], "step": [2**40]})
    samples.to_parquet(tmp_path / "s.parquet")
    with pytest.raises(ValueError, match=r"s\.parquet: column 'step' .*do not fit"):
        io.read_table(tmp_path / "s.parquet", io.SAMPLES)


def test_writing_the_same_table_twice_gives_the_same_bytes(tmp_path):
    z = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    frame = _dataset().drop(columns="image_path")
    a = io.write_table(tmp_path / "a.parquet", frame, io.LATENTS, z)
    b = io.write_table(tmp_path / "sub" / "b.parquet", frame, io.LATENTS, z)
    assert a.read_bytes() == b.read_bytes()


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp_file(tmp_path, monkeypatch):
    path = io.write_table(tmp_path / "d.parquet", _dataset(), io.DATASET)
    before = path.read_bytes()

    def broken(table, where):
        open(where, "wb").write(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(io.pq, "write_table", broken)
    with pytest.raises(OSError, match="disk full"):
        io.write_table(path, _dataset(3), io.DATASET)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["d.parquet"]


def test_split_images_reads_one_split_in_table_order(tmp_path):
    images = np.arange(5 * 2 * 2 * 3, dtype=np.uint8).reshape(5, 2, 2, 3)
    paths = io.write_images(images, tmp_path / "images", [f"x{i}" for i in range(5)])
    df = _dataset().assign(image_path=paths, split=["train", "test", "val", "test", "train"])
    table = io.write_table(tmp_path / "dataset.parquet", df, io.DATASET)
    np.testing.assert_array_equal(io.split_images(table, "test"), images[[1, 3]])
    assert io.split_images(table, "pretrain").shape[0] == 0
