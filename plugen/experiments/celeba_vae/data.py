"""CelebA (aligned and cropped faces, 40 binary attributes) from the user's own copy.

Layout of ``root`` (as distributed)::

    img_align_celeba/000001.jpg ...   or   img_align_celeba.zip (read in place, not unpacked)
    list_attr_celeba.txt              line 1: image count; line 2: the 40 attribute names;
                                      then "000001.jpg  -1  1 ..." (whitespace-separated +-1)
    list_eval_partition.txt           optional: "000001.jpg 0" with 0/1/2 = train/val/test;
                                      without it the standard ranges of PARTITION_RANGES

:func:`preprocess` decodes every image once into uint8 ``.npy`` shards and writes a dataset
Parquet (``plugen.io.DATASET``) whose ``image_path`` is ``"images/shard_000.npy#123"``: the shard
file relative to the table's folder, ``#``, the row inside the shard. :func:`load_images` reads
them back, so later stages never decode JPEGs.
"""

from __future__ import annotations

import difflib
import io as _io
import logging
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from plugen.atomic import atomic_path
from plugen.io import DATASET, read_images, read_table, write_table
from plugen.runtime import progress as progress_bar

log = logging.getLogger(__name__)

ATTR_FILE = "list_attr_celeba.txt"
PARTITION_FILE = "list_eval_partition.txt"
IMAGE_DIR = "img_align_celeba"
IMAGE_ZIP = "img_align_celeba.zip"
TABLE_NAME = "dataset.parquet"
SHARD_DIR = "images"

#: The 40 columns of ``list_attr_celeba.txt``, in file order.
ATTRIBUTE_NAMES = (
    "5_o_Clock_Shadow Arched_Eyebrows Attractive Bags_Under_Eyes Bald Bangs Big_Lips Big_Nose "
    "Black_Hair Blond_Hair Blurry Brown_Hair Bushy_Eyebrows Chubby Double_Chin Eyeglasses Goatee "
    "Gray_Hair Heavy_Makeup High_Cheekbones Male Mouth_Slightly_Open Mustache Narrow_Eyes "
    "No_Beard Oval_Face Pale_Skin Pointy_Nose Receding_Hairline Rosy_Cheeks Sideburns Smiling "
    "Straight_Hair Wavy_Hair Wearing_Earrings Wearing_Hat Wearing_Lipstick Wearing_Necklace "
    "Wearing_Necktie Young"
).split()

#: Standard split by image number (1-based, inclusive) when list_eval_partition.txt is absent.
PARTITION_RANGES = {"train": (1, 162770), "val": (162771, 182637), "test": (182638, 202599)}
#: Images per split of the standard partition: 162 770 train, 19 867 val, 19 962 test.
SPLIT_SIZES = {split: hi - lo + 1 for split, (lo, hi) in PARTITION_RANGES.items()}
_PARTITION_CODES = {0: "train", 1: "val", 2: "test"}

#: The requested values of the paper's Table 2 -> (CelebA column, the column's 0/1 value that
#: means it). "beard" is CelebA's No_Beard == 0 (the file has no Beard column), "golden-hair"
#: is Blond_Hair, "open-mouth"/"calm-mouth" are Mouth_Slightly_Open 1/0, "female" is Male == 0.
PAPER_ATTRIBUTES: dict[str, tuple[str, float]] = {
    "male": ("Male", 1.0),
    "female": ("Male", 0.0),
    "beard": ("No_Beard", 0.0),
    "no-beard": ("No_Beard", 1.0),
    "makeup": ("Heavy_Makeup", 1.0),
    "no-makeup": ("Heavy_Makeup", 0.0),
    "smile": ("Smiling", 1.0),
    "no-smile": ("Smiling", 0.0),
    "open-mouth": ("Mouth_Slightly_Open", 1.0),
    "calm-mouth": ("Mouth_Slightly_Open", 0.0),
    "bald": ("Bald", 1.0),
    "bangs": ("Bangs", 1.0),
    "glasses": ("Eyeglasses", 1.0),
    "no-glasses": ("Eyeglasses", 0.0),
    "black-hair": ("Black_Hair", 1.0),
    "golden-hair": ("Blond_Hair", 1.0),
}

#: Side of the centre square cut from the 178 x 218 aligned image before resizing.
DEFAULT_CROP = 178


def paper_label(attributes: pd.DataFrame, name: str) -> np.ndarray:
    """1.0 where a row has the paper's requested value ``name`` (e.g. "beard"), else 0.0: ``(n,)``.

    Raises ``KeyError`` for a name not in :data:`PAPER_ATTRIBUTES` (listing them) and
    ``ValueError`` when the frame lacks the CelebA column it maps to.
    """
    if name not in PAPER_ATTRIBUTES:
        raise KeyError(f"no paper attribute '{name}', expected one of {list(PAPER_ATTRIBUTES)}")
    column, present = PAPER_ATTRIBUTES[name]
    if column not in attributes.columns:
        raise ValueError(f"paper attribute '{name}' needs CelebA column '{column}', not present")
    return (attributes[column].to_numpy() == present).astype(np.float32)


def read_attributes(root: str | Path) -> pd.DataFrame:
    """``root/list_attr_celeba.txt`` as a frame: ``image`` (file name, str) then one float32 0/1
    column per attribute named on line 2 (-1 becomes 0), in file order.

    Raises ``FileNotFoundError`` when the file is missing and ``ValueError`` naming the file and
    line for a bad count on line 1, a row with the wrong number of values, or a value not +-1.
    """
    path = Path(root) / ATTR_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: CelebA attribute file not found")
    with open(path, encoding="utf-8") as fh:
        first, second = fh.readline().strip(), fh.readline().split()
    try:
        count = int(first)
    except ValueError:
        raise ValueError(f"{path}: line 1 is {first!r}, expected the image count") from None
    if not second or len(set(second)) != len(second):
        raise ValueError(f"{path}: line 2 must list distinct attribute names, got {second}")
    try:
        raw = pd.read_csv(path, sep=r"\s+", skiprows=2, header=None, dtype=str)
    except pd.errors.EmptyDataError:
        raw = pd.DataFrame(columns=range(len(second) + 1))
    except pd.errors.ParserError as exc:
        raise ValueError(
            f"{path}: rows must hold a name and {len(second)} values ({exc})"
        ) from None
    short = np.flatnonzero(raw.isna().any(axis=1).to_numpy())
    if raw.shape[1] != len(second) + 1 or len(short):
        bad = int(short[0]) if len(short) else 0
        raise ValueError(
            f"{path}: line {bad + 3} has {int(raw.iloc[bad].notna().sum()) - 1} values, "
            f"expected {len(second)} (one per attribute on line 2)"
        )
    if len(raw) != count:
        raise ValueError(f"{path}: line 1 says {count} images but the file lists {len(raw)}")
    values = raw.iloc[:, 1:]
    ok = values.isin(["1", "-1"]).to_numpy()
    if not ok.all():
        r, c = (int(i[0]) for i in np.nonzero(~ok))
        raise ValueError(
            f"{path}: line {r + 3}: value {values.iat[r, c]!r} for '{second[c]}', expected -1 or 1"
        )
    out = pd.DataFrame({"image": raw.iloc[:, 0].to_numpy()})
    flags = (values.to_numpy() == "1").astype(np.float32)
    return pd.concat([out, pd.DataFrame(flags, columns=second)], axis=1)


def split_quota(sizes: Mapping[str, int], limit: int | None) -> dict[str, int]:
    """Images kept per split when at most ``limit`` are read: one for each non-empty split
    (while ``limit`` allows), the rest shared in proportion to the split sizes (rounded down,
    the rows left to the largest remainders), so a quick run keeps train, val and test.
    ``limit`` None (or at least the total): every image. Raises ValueError for ``limit < 1``."""
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit}")
    total = sum(sizes.values())
    if limit is None or limit >= total:
        return dict(sizes)
    present = sorted((s for s in sizes if sizes[s] > 0), key=lambda s: -sizes[s])
    quota = dict.fromkeys(sizes, 0)
    for s in present[:limit]:
        quota[s] = 1
    rest, room = limit - sum(quota.values()), {s: sizes[s] - quota[s] for s in sizes}
    free = sum(room.values())
    for s in sizes:
        quota[s] += rest * room[s] // free if free else 0
    left = limit - sum(quota.values())
    by_remainder = sorted(present, key=lambda s: -(rest * room[s] % free) if free else 0)
    for s in [s for s in by_remainder if quota[s] < sizes[s]][:left]:
        quota[s] += 1
    return quota


def first_of_each_split(splits: np.ndarray, limit: int | None) -> np.ndarray:
    """Row indices (file order) of the first :func:`split_quota` rows of each split."""
    names, counts = np.unique(splits, return_counts=True)
    quota = split_quota(dict(zip(names.tolist(), counts.tolist())), limit)
    rank = pd.Series(splits).groupby(splits).cumcount().to_numpy()
    return np.flatnonzero(rank < np.array([quota[s] for s in splits]))


def read_partition(root: str | Path, names: Sequence[str]) -> np.ndarray:
    """The split ('train' / 'val' / 'test') of each image file name in ``names``: ``(n,)`` str.

    From ``root/list_eval_partition.txt`` when present (0/1/2 = train/val/test), else from the
    image number and :data:`PARTITION_RANGES`. Raises ``ValueError`` naming the file when it
    lists images not in ``names``, lacks some of them, or holds a code other than 0/1/2, and
    when a name is not ``NNNNNN.jpg`` within the standard ranges.
    """
    path = Path(root) / PARTITION_FILE
    names = [str(n) for n in names]
    if path.is_file():
        try:
            part = pd.read_csv(path, sep=r"\s+", header=None, dtype=str)
        except pd.errors.EmptyDataError:
            part = pd.DataFrame(columns=[0, 1])
        except pd.errors.ParserError as exc:
            raise ValueError(f"{path}: expected 'image code' per line ({exc})") from None
        if part.shape[1] != 2 or part.isna().any().any():
            raise ValueError(f"{path}: expected two fields per line ('000001.jpg 0')")
        codes = dict(zip(part[0], part[1]))
        unknown = sorted(set(codes) - set(names))
        if unknown:
            raise ValueError(
                f"{path}: names {len(unknown)} image(s) not in {ATTR_FILE}, e.g. {unknown[:3]}"
            )
        missing = [n for n in names if n not in codes]
        if missing:
            raise ValueError(f"{path}: no split for {len(missing)} image(s), e.g. {missing[:3]}")
        bad = sorted({c for c in part[1] if c not in ("0", "1", "2")})
        if bad:
            raise ValueError(f"{path}: split code(s) {bad[:3]}, expected 0, 1 or 2")
        return np.array([_PARTITION_CODES[int(codes[n])] for n in names], dtype=object)
    out = []
    last = PARTITION_RANGES["test"][1]
    for n in names:
        stem = Path(n).stem
        if not stem.isdigit() or not 1 <= int(stem) <= last:
            raise ValueError(
                f"{Path(root) / ATTR_FILE}: image '{n}' is not NNNNNN.jpg in 1-{last}; "
                f"the standard split needs that (or give {PARTITION_FILE})"
            )
        k = int(stem)
        out.append(next(s for s, (lo, hi) in PARTITION_RANGES.items() if lo <= k <= hi))
    return np.array(out, dtype=object)


class _ImageSource:
    """JPEG bytes by file name from ``img_align_celeba/`` or ``img_align_celeba.zip``."""

    def __init__(self, root: Path) -> None:
        self.folder, self.zip = root / IMAGE_DIR, None
        if self.folder.is_dir():
            self.where = str(self.folder)
        elif (root / IMAGE_ZIP).is_file():
            try:
                self.zip = zipfile.ZipFile(root / IMAGE_ZIP)
            except zipfile.BadZipFile:
                raise ValueError(f"{root / IMAGE_ZIP}: not a readable zip file") from None
            self.members = {Path(m).name: m for m in self.zip.namelist() if not m.endswith("/")}
            self.where = str(root / IMAGE_ZIP)
        else:
            raise FileNotFoundError(f"{root}: neither {IMAGE_DIR}/ nor {IMAGE_ZIP} found")

    def read(self, name: str) -> bytes | None:
        if self.zip is None:
            f = self.folder / name
            return f.read_bytes() if f.is_file() else None
        member = self.members.get(name)
        return None if member is None else self.zip.read(member)

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()


def _decode(data: bytes, size: int, crop: int | None) -> np.ndarray:
    """JPEG bytes -> centre ``crop`` square (largest square when None) -> ``size`` x ``size``."""
    from PIL import Image

    with Image.open(_io.BytesIO(data)) as img:
        img = img.convert("RGB")
    w, h = img.size
    side = min(w, h) if crop is None else crop
    if side > min(w, h):
        raise ValueError(f"{w} x {h} image is smaller than the {side} x {side} crop")
    left, top = int(round((w - side) / 2.0)), int(round((h - side) / 2.0))
    img = img.crop((left, top, left + side, top + side))
    return np.asarray(img.resize((size, size), Image.BILINEAR), dtype=np.uint8)


def _save_shard(path: Path, images: np.ndarray) -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.save(fh, images)


def _check_attributes(requested: Sequence[str], available: Sequence[str]) -> list[str]:
    out = []
    for a in requested:
        if a not in available:
            close = difflib.get_close_matches(a, available, n=3, cutoff=0.5)
            raise ValueError(f"{ATTR_FILE}: no attribute '{a}'; close matches: {close}")
        out.append(a)
    return out


def check_root(
    root: str | Path, attributes: Sequence[str] | None = None, limit: int | None = None
) -> None:
    """Check a CelebA folder without decoding images: the images (folder or zip) are there,
    ``list_attr_celeba.txt`` parses with a matching count, ``attributes`` are among its columns
    and the partition (file or standard ranges) covers every image and, for the images read
    (``limit``: see :func:`split_quota`), gives some to train and some to test. Raises
    ``FileNotFoundError``/``ValueError`` naming the file, as :func:`preprocess` would."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: CelebA folder not found")
    _ImageSource(root).close()
    table = read_attributes(root)
    if attributes is not None:
        _check_attributes(attributes, [c for c in table.columns if c != "image"])
    splits = read_partition(root, table["image"])
    kept = set(splits[first_of_each_split(splits, limit)])
    empty = [s for s in ("train", "test") if s not in kept]
    if empty:
        where = root / PARTITION_FILE if (root / PARTITION_FILE).is_file() else root / ATTR_FILE
        raise ValueError(f"{where}: no image in the {' and '.join(empty)} split")


def preprocess(
    root: str | Path,
    out_dir: str | Path,
    size: int = 64,
    crop: int | None = DEFAULT_CROP,
    attributes: Sequence[str] | None = None,
    limit: int | None = None,
    progress: bool = True,
    shard_size: int = 10_000,
) -> dict:
    """Decode CelebA once into ``out_dir``: ``dataset.parquet`` plus ``images/shard_NNN.npy``.

    Each image is centre-cropped to ``crop`` x ``crop`` (None: the largest centred square) and
    resized to ``size`` x ``size`` (PIL bilinear, which averages when shrinking, as torchvision's
    ``Resize`` on PIL images). The default crop, 178, is what the paper's VAE protocol does: the
    paper gives the image sizes only (256 x 256 for PluGeN, MSP and cFlow in section "Image
    manipulation on VAE backbone"; 64 x 64 for cVAE and Δ-GAN, footnote 3) and takes the VAE and
    evaluation protocol from MSP, whose CelebA loader (kept in the authors' released code,
    ``VAE/Dataset_CelebA.py``) applies ``CenterCrop(178)`` then ``Resize(size)`` to the 178 x 218
    aligned images, i.e. the full width and the middle 178 rows. The 148-pixel crop common for
    64 x 64 VAEs is ``crop=148``.

    The table has ``id`` (file stem), ``split`` (train/val/test), ``image_path``
    (``images/shard_000.npy#123``) and one float32 0/1 column per attribute (all 40 by default,
    else ``attributes`` in that order); rows follow ``list_attr_celeba.txt``; with ``limit``, at
    most that many: the first of each split in the splits' proportions (:func:`split_quota`).
    Shards are uint8 ``(k, size, size, 3)`` arrays of ``shard_size`` images.

    Returns a report ``{"table", "n_listed", "n_written", "n_skipped", "skipped": {name: reason},
    "size", "crop"}``; undecodable or missing images are skipped, counted there and logged.
    Raises ``FileNotFoundError``/``ValueError`` naming the file for missing or malformed inputs
    (see :func:`read_attributes`, :func:`read_partition`), an attribute name not in the file
    (with close matches), and when no image is left.
    """
    root, out_dir = Path(root), Path(out_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: CelebA folder not found")
    if size < 1 or (crop is not None and crop < 1) or shard_size < 1:
        raise ValueError(f"size, crop and shard_size must be positive, got {size}, {crop}")
    if not (root / IMAGE_DIR).is_dir() and not (root / IMAGE_ZIP).is_file():
        raise FileNotFoundError(f"{root}: neither {IMAGE_DIR}/ nor {IMAGE_ZIP} found")
    table = read_attributes(root)
    columns = [c for c in table.columns if c != "image"]
    keep = columns if attributes is None else _check_attributes(attributes, columns)
    splits = read_partition(root, table["image"])
    if limit is not None:
        rows = first_of_each_split(splits, limit)
        table, splits = table.iloc[rows].reset_index(drop=True), splits[rows]
    source = _ImageSource(root)

    shard_dir = out_dir / SHARD_DIR
    shard_dir.mkdir(parents=True, exist_ok=True)
    buffer = np.zeros((min(shard_size, max(len(table), 1)), size, size, 3), dtype=np.uint8)
    filled, n_shards, paths, kept_rows = 0, 0, [], []
    skipped: dict[str, str] = {}
    try:
        for i, name in enumerate(
            progress_bar(list(table["image"]), len(table), progress, "celeba")
        ):
            data = source.read(name)
            if data is None:
                skipped[name] = f"not in {source.where}"
                continue
            try:
                buffer[filled] = _decode(data, size, crop)
            except Exception as exc:  # noqa: BLE001 - PIL raises many types for broken files
                skipped[name] = f"undecodable ({type(exc).__name__}: {exc})"
                continue
            paths.append(f"{SHARD_DIR}/shard_{n_shards:03d}.npy#{filled}")
            kept_rows.append(i)
            filled += 1
            if filled == len(buffer):
                _save_shard(shard_dir / f"shard_{n_shards:03d}.npy", buffer)
                filled, n_shards = 0, n_shards + 1
        if filled:
            _save_shard(shard_dir / f"shard_{n_shards:03d}.npy", buffer[:filled])
    finally:
        source.close()
    for name, reason in skipped.items():
        log.warning("celeba: skipped %s: %s", name, reason)
    if not kept_rows:
        raise ValueError(
            f"{source.where}: no image could be read ({len(table)} listed, all skipped; "
            f"first: {next(iter(skipped.items()), None)})"
        )
    kept = table.iloc[kept_rows]
    frame = pd.DataFrame(
        {
            "id": [Path(n).stem for n in kept["image"]],
            "split": splits[kept_rows],
            "image_path": paths,
        }
    )
    for a in keep:
        frame[a] = kept[a].to_numpy(dtype=np.float32)
    path = write_table(out_dir / TABLE_NAME, frame, DATASET)
    log.info("celeba: %d images written to %s, %d skipped", len(frame), out_dir, len(skipped))
    return {
        "table": str(path),
        "n_listed": len(table),
        "n_written": len(frame),
        "n_skipped": len(skipped),
        "skipped": skipped,
        "size": size,
        "crop": crop,
    }


def load_images(
    table: pd.DataFrame | str | Path, root: str | Path | None = None, rows=None
) -> np.ndarray:
    """Images of a :func:`preprocess` table as uint8 ``(n, H, W, 3)``.

    table: the frame (then ``root`` is the folder its paths are relative to) or the Parquet
    path (``root`` defaults to its folder); rows: positional indices (default all), in the order
    given. Raises ``ValueError`` for an ``image_path`` that is not ``file.npy#index`` or an index
    past its shard, ``FileNotFoundError`` for a missing shard.
    """
    if isinstance(table, (str, Path)):
        root = Path(table).parent if root is None else root
        table, _ = read_table(table, DATASET)
    if root is None:
        raise ValueError("load_images: give root, the folder the table's image paths are under")
    paths = table["image_path"].to_numpy()
    if rows is not None:
        paths = paths[np.asarray(rows, dtype=np.int64)]
    return read_images(list(paths), root)
