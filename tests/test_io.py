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
            lambda t: t.set_column(3, "round", pa.array([0.0] * 5, pa.float64())),
            "column 'round' has type double, expected float",
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
