"""CelebA reader on fabricated data in the real layout: 178 x 218 JPEGs (folder and zip), the
40-attribute file, the partition file, a corrupt JPEG, and each malformed input."""

import logging
import zipfile

import numpy as np
import pytest
from PIL import Image

from plugen.experiments.celeba_vae import data as celeba
from plugen.io import DATASET, read_table
from plugen.reference.paper import TABLE2

N = 12
STRIP = 20  # rows above and below the 178 x 178 centre square of a 178 x 218 image


def _colour(i: int) -> tuple[int, int, int]:
    return (40 + 15 * i, 200 - 10 * i, 60 + 5 * i)


def _jpeg(i: int) -> bytes:
    """A 178 x 218 face stand-in: uniform colour i with red strips where the crop cuts."""
    img = np.zeros((218, 178, 3), dtype=np.uint8)
    img[:] = _colour(i)
    img[:STRIP] = img[-STRIP:] = (255, 0, 0)
    import io

    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="JPEG", quality=95)
    return buf.getvalue()


def _attr_lines(n: int) -> list[str]:
    rows = []
    for i in range(1, n + 1):
        vals = [1 if (i + k) % 3 == 0 else -1 for k in range(40)]
        vals[celeba.ATTRIBUTE_NAMES.index("Male")] = 1 if i % 2 else -1
        vals[celeba.ATTRIBUTE_NAMES.index("No_Beard")] = -1 if i % 4 == 1 else 1
        rows.append(f"{i:06d}.jpg " + " ".join(f"{v:2d}" for v in vals))
    return [str(n), " ".join(celeba.ATTRIBUTE_NAMES) + " ", *rows]


def make_root(tmp_path, *, as_zip=False, partition=True, corrupt=(), n=N):
    root = tmp_path / ("zipped" if as_zip else "folder")
    root.mkdir()
    files = {f"{i:06d}.jpg": _jpeg(i) for i in range(1, n + 1)}
    for name in corrupt:
        files[name] = b"\xff\xd8\xff\xe0 truncated, not a JPEG"
    if as_zip:
        with zipfile.ZipFile(root / "img_align_celeba.zip", "w") as zf:
            for name, data in files.items():
                zf.writestr(f"img_align_celeba/{name}", data)
    else:
        (root / "img_align_celeba").mkdir()
        for name, data in files.items():
            (root / "img_align_celeba" / name).write_bytes(data)
    (root / "list_attr_celeba.txt").write_text("\n".join(_attr_lines(n)) + "\n")
    if partition:
        codes = [0] * 8 + [1] * 2 + [2] * (n - 10)
        lines = [f"{i:06d}.jpg {c}" for i, c in zip(range(1, n + 1), codes)]
        (root / "list_eval_partition.txt").write_text("\n".join(lines) + "\n")
    return root


def test_read_attributes_gives_zero_one_columns_in_file_order(tmp_path):
    attrs = celeba.read_attributes(make_root(tmp_path))
    assert list(attrs.columns) == ["image", *celeba.ATTRIBUTE_NAMES]
    assert attrs["image"].tolist()[:2] == ["000001.jpg", "000002.jpg"]
    assert attrs["Male"].tolist()[:4] == [1.0, 0.0, 1.0, 0.0]
    assert attrs["Male"].dtype == np.float32
    assert set(np.unique(attrs.iloc[:, 1:].to_numpy())) == {0.0, 1.0}


def test_preprocess_folder_crops_the_centre_square_and_writes_shards(tmp_path):
    root = make_root(tmp_path)
    out = tmp_path / "out"
    report = celeba.preprocess(root, out, size=16, progress=False, shard_size=5)
    assert report["n_written"] == N and report["n_skipped"] == 0 and report["crop"] == 178
    frame, _ = read_table(out / "dataset.parquet", DATASET)
    assert frame["id"].tolist()[:3] == ["000001", "000002", "000003"]
    assert frame["split"].tolist() == ["train"] * 8 + ["val"] * 2 + ["test"] * 2
    assert frame["image_path"].tolist()[5] == "images/shard_001.npy#0"  # 5 per shard
    assert sorted(p.name for p in (out / "images").iterdir()) == [
        "shard_000.npy",
        "shard_001.npy",
        "shard_002.npy",
    ]
    images = celeba.load_images(out / "dataset.parquet")
    assert images.shape == (N, 16, 16, 3) and images.dtype == np.uint8
    for i, img in enumerate(images, start=1):  # the red strips are cut away entirely
        np.testing.assert_allclose(img.reshape(-1, 3).mean(0), _colour(i), atol=6)
    # rows pick images in the order asked, with paths relative to the given root
    picked = celeba.load_images(frame, out, rows=[11, 0])
    np.testing.assert_array_equal(picked, images[[11, 0]])


def test_a_smaller_crop_and_no_crop_keep_or_show_the_strips(tmp_path):
    root = make_root(tmp_path, n=2)
    out = tmp_path / "out"
    celeba.preprocess(root, out, size=8, crop=148, progress=False)
    img = celeba.load_images(out / "dataset.parquet")[0]
    np.testing.assert_allclose(img.reshape(-1, 3).mean(0), _colour(1), atol=6)
    tall = celeba._decode(_jpeg(1), 8, None)  # largest centred square: still inside the strips
    assert tall[..., 0].max() < 200
    with pytest.raises(ValueError, match="smaller than the 300 x 300 crop"):
        celeba._decode(_jpeg(1), 8, 300)


def test_zip_gives_the_same_table_and_images_as_the_folder(tmp_path):
    a = celeba.preprocess(make_root(tmp_path), tmp_path / "a", size=8, progress=False)
    b = celeba.preprocess(make_root(tmp_path, as_zip=True), tmp_path / "b", size=8, progress=False)
    fa, _ = read_table(a["table"], DATASET)
    fb, _ = read_table(b["table"], DATASET)
    assert fa.equals(fb)
    np.testing.assert_array_equal(celeba.load_images(a["table"]), celeba.load_images(b["table"]))


def test_corrupt_jpeg_is_counted_skipped_and_logged(tmp_path, caplog):
    root = make_root(tmp_path, as_zip=True, corrupt=["000004.jpg"])
    with caplog.at_level(logging.WARNING, logger="plugen.experiments.celeba_vae.data"):
        report = celeba.preprocess(root, tmp_path / "out", size=8, progress=False)
    assert report["n_listed"] == N and report["n_written"] == N - 1 and report["n_skipped"] == 1
    assert list(report["skipped"]) == ["000004.jpg"]
    assert "undecodable" in report["skipped"]["000004.jpg"]
    assert "000004.jpg" in caplog.text
    frame, _ = read_table(report["table"], DATASET)
    assert "000004" not in frame["id"].tolist() and len(frame) == N - 1
    assert len(celeba.load_images(report["table"])) == N - 1


def test_all_images_broken_is_an_error(tmp_path):
    names = [f"{i:06d}.jpg" for i in range(1, 4)]
    root = make_root(tmp_path, n=3, corrupt=names)
    with pytest.raises(ValueError, match="no image could be read"):
        celeba.preprocess(root, tmp_path / "out", size=8, progress=False)


def test_attribute_subset_limit_and_standard_split_without_partition_file(tmp_path):
    root = make_root(tmp_path, partition=False)
    report = celeba.preprocess(
        root, tmp_path / "out", size=8, attributes=["Smiling", "Male"], limit=5, progress=False
    )
    frame, _ = read_table(report["table"], DATASET)
    assert list(frame.columns) == ["id", "split", "image_path", "Smiling", "Male"]
    assert len(frame) == 5 and set(frame["split"]) == {"train"}
    names = ["000001.jpg", "162770.jpg", "162771.jpg", "182637.jpg", "182638.jpg", "202599.jpg"]
    split = celeba.read_partition(root, names)
    assert split.tolist() == ["train", "train", "val", "val", "test", "test"]
    with pytest.raises(ValueError, match="not NNNNNN.jpg in 1-202599"):
        celeba.read_partition(root, ["202600.jpg"])


def test_a_limit_keeps_the_first_images_of_every_split_in_proportion(tmp_path):
    sizes = celeba.SPLIT_SIZES
    assert celeba.split_quota(sizes, 1000) == {"train": 802, "val": 99, "test": 99}
    assert celeba.split_quota(sizes, 3) == {"train": 1, "val": 1, "test": 1}
    assert celeba.split_quota(sizes, None) == sizes
    assert celeba.split_quota({"train": 3, "val": 1}, 9) == {"train": 3, "val": 1}
    assert celeba.split_quota({"train": 100, "val": 1, "test": 1}, 10) == {
        "train": 8,
        "val": 1,
        "test": 1,
    }
    assert celeba.split_quota({"train": 10, "val": 0, "test": 5}, 4) == {
        "train": 2,
        "val": 0,
        "test": 2,
    }
    with pytest.raises(ValueError, match="limit must be >= 1, got 0"):
        celeba.split_quota(sizes, 0)
    root = make_root(tmp_path, n=14)  # partition: 8 train, 2 val, 4 test
    report = celeba.preprocess(root, tmp_path / "out", size=8, limit=7, progress=False)
    frame, _ = read_table(report["table"], DATASET)
    assert frame["split"].tolist() == ["train"] * 4 + ["val", "test", "test"]
    assert frame["id"].tolist() == [
        "000001",
        "000002",
        "000003",
        "000004",
        "000009",
        "000011",
        "000012",
    ]


def test_missing_inputs_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="CelebA folder not found"):
        celeba.preprocess(tmp_path / "nowhere", tmp_path / "out", progress=False)
    root = make_root(tmp_path)
    (root / "list_attr_celeba.txt").unlink()
    with pytest.raises(FileNotFoundError, match="list_attr_celeba.txt: CelebA attribute file"):
        celeba.preprocess(root, tmp_path / "out", progress=False)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="neither img_align_celeba/ nor img_align_celeba"):
        celeba.preprocess(empty, tmp_path / "out", progress=False)


def _rewrite(root, fn):
    path = root / "list_attr_celeba.txt"
    path.write_text("\n".join(fn(path.read_text().splitlines())) + "\n")


def test_malformed_attribute_files_are_reported_with_file_and_line(tmp_path):
    root = make_root(tmp_path)
    _rewrite(root, lambda lines: ["13", *lines[1:]])
    with pytest.raises(ValueError, match="line 1 says 13 images but the file lists 12"):
        celeba.read_attributes(root)
    _rewrite(root, lambda lines: ["12", *lines[1:5], lines[5].replace("-1", " 0", 1), *lines[6:]])
    with pytest.raises(ValueError, match=r"line 6: value '0' for '5_o_Clock_Shadow', expected"):
        celeba.read_attributes(root)
    _rewrite(root, lambda lines: [*lines[:4], lines[4].rsplit(" ", 1)[0], *lines[5:]])
    with pytest.raises(ValueError, match="line 5 has 39 values, expected 40"):
        celeba.read_attributes(root)
    _rewrite(root, lambda lines: ["many", *lines[1:]])
    with pytest.raises(ValueError, match="line 1 is 'many', expected the image count"):
        celeba.read_attributes(root)


def test_unknown_attribute_lists_close_matches(tmp_path):
    root = make_root(tmp_path)
    with pytest.raises(ValueError, match=r"no attribute 'Smile'; close matches: \['Smiling'"):
        celeba.preprocess(root, tmp_path / "out", attributes=["Smile"], progress=False)


def test_partition_file_errors(tmp_path):
    root = make_root(tmp_path)
    part = root / "list_eval_partition.txt"
    part.write_text(part.read_text() + "999999.jpg 2\n")
    with pytest.raises(ValueError, match=r"list_eval_partition.txt: names 1 image\(s\) not in"):
        celeba.preprocess(root, tmp_path / "out", progress=False)
    part.write_text("000001.jpg 0\n")
    with pytest.raises(ValueError, match=r"no split for 11 image\(s\)"):
        celeba.read_partition(root, [f"{i:06d}.jpg" for i in range(1, N + 1)])
    part.write_text("000001.jpg 3\n")
    with pytest.raises(ValueError, match=r"split code\(s\) \['3'\]"):
        celeba.read_partition(root, ["000001.jpg"])


def test_paper_attributes_cover_table_2_and_beard_inverts_no_beard(tmp_path):
    requested = {v for col in TABLE2["columns"][:-2] for v in col.split(" x ")}
    assert requested <= set(celeba.PAPER_ATTRIBUTES)
    assert {c for c, _ in celeba.PAPER_ATTRIBUTES.values()} <= set(celeba.ATTRIBUTE_NAMES)
    attrs = celeba.read_attributes(make_root(tmp_path))
    beard = celeba.paper_label(attrs, "beard")
    np.testing.assert_array_equal(beard, 1.0 - attrs["No_Beard"].to_numpy())
    assert beard.tolist()[:5] == [1.0, 0.0, 0.0, 0.0, 1.0]  # images 1 and 5 have beards
    np.testing.assert_array_equal(celeba.paper_label(attrs, "female"), 1.0 - attrs["Male"])
    with pytest.raises(KeyError, match="no paper attribute 'moustache'"):
        celeba.paper_label(attrs, "moustache")
