"""The ShapeNet readers on tiny fabricated files in the real formats: PointFlow's PC15k folders
(spheres and boxes whose first 10000 rows lie at x < 0 and last 5000 at x > 0) and a
``shapenet.hdf5`` file; shapes, determinism, row ranges, normalisation, labels and errors."""

import logging
import sys

import numpy as np
import pandas as pd
import pytest

from plugen.experiments.shapenet_pc.data import (
    GEOMETRIC,
    Normalisation,
    geometric_labels,
    pc15k_normalisation,
    read_hdf5,
    read_pc15k,
    resolve_categories,
)

AIRPLANE, CHAIR, CAR = "02691156", "03001627", "02958343"
SCALES = (1.0, 1.5, 2.0)  # per model
BOX = np.array([4.0, 1.0, 2.0])  # box sides x, y (up), z: height 1/4, elongation log2(2/4)
SHIFT = 10.0  # train rows centred at x = -10, evaluation rows at x = +10
COLUMNS = ["id", "split", "airplane", "chair", *GEOMETRIC]


def sphere(n, radius, rng):
    v = rng.normal(size=(n, 3))
    return radius * v / np.linalg.norm(v, axis=1, keepdims=True)


def box(n, sides, rng):
    """Uniform by area on the surface of an axis-aligned box centred at the origin."""
    half = sides / 2
    areas = np.array([sides[1] * sides[2], sides[0] * sides[2], sides[0] * sides[1]])
    axis = rng.choice(3, n, p=areas / areas.sum())
    points = rng.uniform(-half, half, size=(n, 3))
    rows = np.arange(n)
    points[rows, axis] = half[axis] * rng.choice([-1.0, 1.0], n)
    return points


def shape(synset, scale, n, rng):
    return sphere(n, scale, rng) if synset == AIRPLANE else box(n, BOX * scale, rng)


def pc15k_file(synset, scale, rng):
    """(15000, 3): the shape at x = -10 in rows [:10000], at x = +10 in rows [10000:]."""
    points = np.concatenate([shape(synset, scale, 10000, rng), shape(synset, scale, 5000, rng)])
    points[:10000, 0] -= SHIFT
    points[10000:, 0] += SHIFT
    return points.astype(np.float32)


@pytest.fixture(scope="module")
def pc15k(tmp_path_factory):
    """<root>/<synset>/<split>/<model_id>.npy, 2 categories x 3 splits x 3 models."""
    root = tmp_path_factory.mktemp("pc15k")
    rng = np.random.default_rng(0)
    for synset in (AIRPLANE, CHAIR):
        for split in ("train", "val", "test"):
            folder = root / synset / split
            folder.mkdir(parents=True)
            for scale, model in zip(SCALES, ("c", "a", "b")):  # written unsorted
                np.save(folder / f"{split}{model}.npy", pc15k_file(synset, scale, rng))
    return root


@pytest.fixture(scope="module")
def h5file(tmp_path_factory):
    """shapenet.hdf5: f[synset][split] of shape (3, 2048, 3)."""
    h5py = pytest.importorskip("h5py")
    path = tmp_path_factory.mktemp("hdf5") / "shapenet.hdf5"
    rng = np.random.default_rng(1)
    with h5py.File(path, "w") as f:
        for synset in (AIRPLANE, CHAIR):
            for split in ("train", "val", "test"):
                clouds = [shape(synset, s, 2048, rng) + [0.3, -0.2, 0.1] for s in SCALES]
                f.create_dataset(f"{synset}/{split}", data=np.array(clouds, dtype=np.float32))
    return path


def raw_files(root, synset, split):
    return [np.load(p).astype(np.float64) for p in sorted((root / synset / split).glob("*.npy"))]


def check_labels(table):
    """Known answers: spheres are upright, round and hollow; boxes 4 x 1 x 2."""
    planes, chairs = table[table["airplane"] == 1], table[table["chair"] == 1]
    assert len(planes) == len(chairs) == 3
    np.testing.assert_allclose(planes["height"], 1.0, atol=0.02)
    np.testing.assert_allclose(planes["elongation"], 0.0, atol=0.05)
    np.testing.assert_allclose(planes["spread"], 1.0, atol=0.05)
    np.testing.assert_allclose(chairs["height"], 0.25, atol=0.01)
    np.testing.assert_allclose(chairs["elongation"], -1.0, atol=0.02)
    assert (chairs["spread"] < 0.8).all() and (chairs["spread"] > 0.4).all()


# --------------------------------------------------------------------------- PC15k
def test_pc15k_table_and_clouds_layout(pc15k):
    table, clouds, norm = read_pc15k(pc15k, ["airplane", "chair"], "train", n_points=256)
    assert list(table.columns) == COLUMNS
    assert (table.dtypes[COLUMNS[2:]] == np.float32).all() and table["id"].map(type).eq(str).all()
    assert clouds.shape == (6, 256, 3) and clouds.dtype == np.float32
    assert (table["split"] == "train").all()
    assert table["id"].tolist() == [
        f"{s}/train{m}" for s in (AIRPLANE, CHAIR) for m in ("a", "b", "c")
    ]
    assert table["airplane"].tolist() == [1.0] * 3 + [0.0] * 3
    assert table["chair"].tolist() == [0.0] * 3 + [1.0] * 3
    assert isinstance(norm, Normalisation) and norm.mean.shape == (3,)
    # the requested order of categories is the row order
    swapped, _, _ = read_pc15k(pc15k, ["chair", "airplane"], "train", n_points=256)
    assert list(swapped.columns[2:4]) == ["chair", "airplane"]
    assert swapped["id"].tolist() == table["id"].tolist()[3:] + table["id"].tolist()[:3]


def test_pc15k_sampling_is_seeded_deterministic_and_without_replacement(pc15k):
    a = read_pc15k(pc15k, ["airplane", "chair"], "val", n_points=300, seed=5)
    b = read_pc15k(pc15k, ["airplane", "chair"], "val", n_points=300, seed=5)
    assert a[1].tobytes() == b[1].tobytes()
    pd.testing.assert_frame_equal(a[0], b[0])
    assert read_pc15k(pc15k, "airplane", "val", n_points=300, seed=6)[1].tobytes() != (
        a[1][:3].tobytes()
    )
    for cloud in a[1]:
        assert len(np.unique(cloud, axis=0)) == 300
    # a cloud's sample does not depend on the other categories read
    alone = read_pc15k(pc15k, "chair", "val", n_points=300, seed=5, normalisation=a[2])
    assert alone[1].tobytes() == a[1][3:].tobytes()


def test_train_rows_come_from_the_first_10000_and_eval_rows_from_the_last_5000(pc15k):
    train, clouds, norm = read_pc15k(pc15k, ["airplane", "chair"], "train", n_points=2000)
    assert (norm.invert(clouds)[..., 0] < 0).all()
    for split in ("val", "test"):
        _, evals, _ = read_pc15k(pc15k, ["airplane", "chair"], split, 2000, normalisation=norm)
        assert (norm.invert(evals)[..., 0] > 0).all()
    # every sampled row is one of the file's rows of its range
    raw = raw_files(pc15k, AIRPLANE, "train")[0]
    sampled = norm.invert(clouds[0][:300])
    nearest = np.linalg.norm(sampled[:, None] - raw[None, :10000], axis=-1).min(1)
    assert nearest.max() < 1e-5
    # n_points=None keeps every row of the range, in file order
    _, full, _ = read_pc15k(pc15k, "airplane", "test", n_points=None, normalisation=norm)
    assert full.shape == (3, 5000, 3)
    expected = norm.apply(raw_files(pc15k, AIRPLANE, "test")[0][10000:])
    np.testing.assert_array_equal(full[0], expected)


def test_normalisation_is_the_train_split_global_mean_and_std_reused_by_val_and_test(pc15k):
    raw = np.stack(raw_files(pc15k, AIRPLANE, "train") + raw_files(pc15k, CHAIR, "train"))
    mean, std = raw.reshape(-1, 3).mean(0), raw.reshape(-1).std()  # PointFlow's defaults
    _, _, norm = read_pc15k(pc15k, ["airplane", "chair"], "train", n_points=64)
    np.testing.assert_allclose(norm.mean, mean, rtol=1e-10)
    np.testing.assert_allclose(norm.std, std, rtol=1e-10)
    assert norm.mean[0] < -3  # rows [:10000] at x = -10 weigh in: statistics of all 15000
    assert pc15k_normalisation(pc15k, ["airplane", "chair"]).to_dict() == norm.to_dict()
    for split in ("val", "test"):
        _, own, recomputed = read_pc15k(pc15k, ["airplane", "chair"], split, n_points=64)
        _, given, kept = read_pc15k(pc15k, ["airplane", "chair"], split, 64, normalisation=norm)
        assert recomputed.to_dict() == norm.to_dict() and kept is norm
        assert own.tobytes() == given.tobytes()
    # the clouds are (x - mean) / std of the file's rows
    _, full, _ = read_pc15k(pc15k, "chair", "train", n_points=None, normalisation=norm)
    expected = (raw_files(pc15k, CHAIR, "train")[1][:10000] - mean) / std
    np.testing.assert_allclose(full[1], expected, atol=1e-5)
    # a given normalisation (pair or dict) is used as is, for train too
    _, shifted, used = read_pc15k(pc15k, "chair", "train", None, normalisation=([1, 2, 3], 2.0))
    np.testing.assert_allclose(shifted[1], (expected * std + mean - [1, 2, 3]) / 2, atol=1e-5)
    assert used.to_dict() == {"mean": [1.0, 2.0, 3.0], "std": 2.0}
    with pytest.raises(ValueError, match=r"normalisation: std must be one positive value"):
        read_pc15k(pc15k, "chair", "train", normalisation={"mean": [0, 0, 0], "std": 0})
    with pytest.raises(ValueError, match=r"normalisation: mean must be 3 finite values"):
        Normalisation([0, 0], 1.0)


def test_pc15k_labels_have_known_answers_and_ignore_the_normalisation(pc15k):
    for split in ("train", "val", "test"):
        table, clouds, norm = read_pc15k(pc15k, ["airplane", "chair"], split, n_points=2048)
        check_labels(table)
        pd.testing.assert_frame_equal(table[list(GEOMETRIC)], geometric_labels(clouds))
        raw = geometric_labels(norm.invert(clouds))
        np.testing.assert_allclose(table[list(GEOMETRIC)], raw, atol=1e-5)


def test_geometric_labels_exact_values_invariances_and_errors():
    axes = np.eye(3)
    shells = np.concatenate([axes, -axes, 2 * axes, -2 * axes])[None]  # distances 1 and 2
    labels = geometric_labels(shells)
    np.testing.assert_allclose(labels.to_numpy(), [[1.0, 0.0, 0.75]], atol=1e-7)
    rng = np.random.default_rng(0)
    clouds = rng.normal(size=(4, 100, 3)) * [3.0, 1.0, 0.5]
    moved = geometric_labels(7.5 * clouds[:, rng.permutation(100)] + [1.0, -2.0, 30.0])
    np.testing.assert_allclose(moved, geometric_labels(clouds), atol=1e-5)
    flat = np.zeros((1, 10, 3))
    flat[0, :, 2] = np.arange(10)  # no x extent: elongation floored at log2(1000)
    assert geometric_labels(flat)["elongation"][0] == pytest.approx(np.log2(1000), abs=1e-4)
    with pytest.raises(ValueError, match=r"shape \(10, 3\), expected \(n, P, 3\)"):
        geometric_labels(np.zeros((10, 3)))
    with pytest.raises(ValueError, match=r"cloud 1 is a single point"):
        geometric_labels(np.stack([shells[0], np.ones((12, 3))]))
    with pytest.raises(ValueError, match=r"cloud 0 has non-finite"):
        geometric_labels(np.full((1, 4, 3), np.nan))


def test_categories_by_name_or_synset_id(pc15k):
    assert resolve_categories("car") == [(CAR, "car")]
    assert resolve_categories([AIRPLANE, "chair"]) == [(AIRPLANE, "airplane"), (CHAIR, "chair")]
    assert resolve_categories(["12345678"]) == [("12345678", "12345678")]
    table, _, _ = read_pc15k(pc15k, [AIRPLANE], "val", n_points=32)
    assert list(table.columns) == ["id", "split", "airplane", *GEOMETRIC]
    with pytest.raises(ValueError, match=r"unknown ShapeNet category 'plane'; known: airplane, "):
        resolve_categories(["plane"])
    with pytest.raises(ValueError, match=r"name a synset twice"):
        resolve_categories(["airplane", AIRPLANE])
    with pytest.raises(ValueError, match=r"no ShapeNet categories given"):
        resolve_categories([])


def test_pc15k_errors_name_the_path_and_the_expectation(pc15k, tmp_path, caplog):
    good = pc15k_file(CHAIR, 1.0, np.random.default_rng(2))

    def root_with(name, array):
        (tmp_path / CHAIR / "train").mkdir(parents=True, exist_ok=True)
        for old in (tmp_path / CHAIR / "train").iterdir():
            old.unlink()
        path = tmp_path / CHAIR / "train" / name
        np.save(path, array) if isinstance(array, np.ndarray) else path.write_text(array)
        return path

    with pytest.raises(FileNotFoundError, match=r"root .*nowhere is not a directory"):
        read_pc15k(tmp_path / "nowhere", "chair", "train")
    with pytest.raises(FileNotFoundError, match=rf"category folder .*{CAR} \(car\) missing"):
        read_pc15k(pc15k, ["airplane", "car"], "train")
    root_with("m.npy", good)
    with pytest.raises(FileNotFoundError, match=rf"split folder .*{CHAIR}/val \(chair\) missing"):
        read_pc15k(tmp_path, "chair", "val")
    root_with("notes.txt", "hello")
    with pytest.raises(FileNotFoundError, match=rf"no \.npy files in .*{CHAIR}/train \(chair\)"):
        read_pc15k(tmp_path, "chair", "train")
    for array, shape in ((good[:14999], r"\(14999, 3\)"), (good[:, :2], r"\(15000, 2\)")):
        path = root_with("m.npy", array)
        with pytest.raises(ValueError, match=rf"m\.npy: array of shape {shape} and dtype float32"):
            read_pc15k(tmp_path, "chair", "train")
    assert "expected real numbers of shape (15000, 3)" in str(
        pytest.raises(ValueError, read_pc15k, tmp_path, "chair", "train").value
    )
    path = root_with("m.npy", np.where(np.arange(15000)[:, None] == 7, np.nan, good))
    with pytest.raises(ValueError, match=rf"{path}: array has non-finite values"):
        read_pc15k(tmp_path, "chair", "train")
    path = root_with("m.npy", "not an array")
    with pytest.raises(ValueError, match=rf"{path}: cannot read as a \.npy array \("):
        read_pc15k(tmp_path, "chair", "train")
    with pytest.raises(ValueError, match=r"n_points = 10001 but only 10000 points available"):
        read_pc15k(pc15k, "chair", "train", n_points=10001)
    with pytest.raises(ValueError, match=r"n_points = 5001 but only 5000 points available"):
        read_pc15k(pc15k, "chair", "test", n_points=5001)
    with pytest.raises(ValueError, match=r"n_points must be a positive integer, got 0"):
        read_pc15k(pc15k, "chair", "test", n_points=0)
    with pytest.raises(ValueError, match=r"split 'valid', expected one of \['train', 'val'"):
        read_pc15k(pc15k, "chair", "valid")
    with pytest.raises(ValueError, match=r"seed must be an integer >= 0, got -1"):
        read_pc15k(pc15k, "chair", "val", seed=-1)
    # non-.npy entries are ignored and counted in the log
    root_with("notes.txt", "hello")
    np.save(tmp_path / CHAIR / "train" / "m.npy", good)
    with caplog.at_level(logging.INFO, logger="plugen.experiments.shapenet_pc.data"):
        table, _, _ = read_pc15k(tmp_path, "chair", "train", n_points=16)
    assert len(table) == 1 and "ignored 1 non-.npy entries" in caplog.text


# --------------------------------------------------------------------------- shapenet.hdf5
def test_hdf5_gives_the_same_layout_normalisation_and_labels(h5file):
    h5py = pytest.importorskip("h5py")
    table, clouds, norm = read_hdf5(h5file, ["airplane", "chair"], "val")
    assert list(table.columns) == COLUMNS and (table.dtypes[COLUMNS[2:]] == np.float32).all()
    assert clouds.shape == (6, 2048, 3) and clouds.dtype == np.float32
    assert table["id"].tolist() == [f"{s}/val_{j:05d}" for s in (AIRPLANE, CHAIR) for j in range(3)]
    assert table["airplane"].tolist() == [1.0] * 3 + [0.0] * 3
    check_labels(table)
    with h5py.File(h5file) as f:
        train = np.concatenate([f[AIRPLANE]["train"][...], f[CHAIR]["train"][...]]).astype(float)
        val = f[AIRPLANE]["val"][...]
    np.testing.assert_allclose(norm.mean, train.reshape(-1, 3).mean(0), rtol=1e-10)
    np.testing.assert_allclose(norm.std, train.reshape(-1).std(), rtol=1e-10)
    np.testing.assert_allclose(clouds[:3], norm.apply(val), atol=1e-6)  # all rows, in order
    _, _, from_train = read_hdf5(h5file, ["airplane", "chair"], "train")
    assert from_train.to_dict() == norm.to_dict()
    a = read_hdf5(h5file, ["airplane", "chair"], "test", n_points=500, seed=3)
    b = read_hdf5(h5file, ["airplane", "chair"], "test", n_points=500, seed=3, normalisation=norm)
    assert a[1].shape == (6, 500, 3) and a[1].tobytes() == b[1].tobytes()
    assert len(np.unique(a[1][0], axis=0)) == 500
    assert read_hdf5(h5file, "airplane", "test", 500, seed=4)[1].tobytes() != a[1][:3].tobytes()


def test_hdf5_errors_name_the_file_and_key(h5file, tmp_path):
    h5py = pytest.importorskip("h5py")
    with pytest.raises(ValueError, match=rf"no group '{CAR}' \(car\); groups present: \['0"):
        read_hdf5(h5file, ["airplane", "car"], "train")
    with pytest.raises(ValueError, match=r"n_points = 2049 but only 2048 points available"):
        read_hdf5(h5file, "airplane", "train", n_points=2049)
    with pytest.raises(FileNotFoundError, match=r"file .*missing\.hdf5 not found"):
        read_hdf5(tmp_path / "missing.hdf5", "airplane", "train")
    (tmp_path / "text.hdf5").write_text("not hdf5")
    with pytest.raises(ValueError, match=r"text\.hdf5: cannot open as HDF5 \("):
        read_hdf5(tmp_path / "text.hdf5", "airplane", "train")
    bad = tmp_path / "bad.hdf5"
    with h5py.File(bad, "w") as f:
        f.create_dataset(f"{AIRPLANE}/train", data=np.zeros((2, 5, 2), np.float32))
        f.create_dataset(f"{CHAIR}/val", data=np.zeros((2, 5, 3), np.float32))
    with pytest.raises(ValueError, match=rf"bad\.hdf5: dataset '{AIRPLANE}/train' has shape"):
        read_hdf5(bad, "airplane", "train")
    with pytest.raises(ValueError, match=rf"bad\.hdf5: no dataset '{CHAIR}/train' \(chair\)"):
        read_hdf5(bad, "chair", "val")  # the normalisation needs the train clouds
    with pytest.raises(ValueError, match=rf"bad\.hdf5: no dataset '{AIRPLANE}/val'"):
        read_hdf5(bad, "airplane", "val", normalisation=([0, 0, 0], 1))


def test_hdf5_without_h5py_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(ImportError, match=r"^read_hdf5: h5py is not installed; pip install h5py$"):
        read_hdf5(tmp_path / "shapenet.hdf5", "airplane", "train")
