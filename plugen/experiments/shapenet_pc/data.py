"""Readers for real ShapeNet point clouds, by path (nothing is downloaded).

Both readers return the conventions of :mod:`plugen.experiments.shapes3d.data`: a table with
``id`` (str), ``split`` and float32 label columns, clouds float32 ``(n, P, 3)`` with rows
aligned, plus the :class:`Normalisation` applied to the clouds.

Formats:

- :func:`read_pc15k`: PointFlow's ``ShapeNetCore.v2.PC15k`` (Yang et al. 2019),
  ``<root>/<synset>/{train,val,test}/<model_id>.npy``, each array ``(15000, 3)``;
  ``id`` = ``<synset>/<model_id>``.
- :func:`read_hdf5`: the ``shapenet.hdf5`` file of Luo & Hu 2021 (diffusion-point-cloud),
  datasets ``f[synset][split]`` of shape ``(N, 2048, 3)``; ``id`` =
  ``<synset>/<split>_<index:05d>`` (the file stores no model ids).

What follows PointFlow (``datasets.py``, class ``Uniform15KPC`` and ``get_datasets``, read at
commit 26e8c26): rows ``[:10000]`` of every file are the training points and rows
``[10000:]`` the evaluation points (L110-111); each file must have exactly 15000 rows (L76);
with the default settings (no per-shape, no per-axis normalisation) every cloud is mapped to
``(x - mean) / std`` with ``mean`` the per-axis mean ``(3,)`` of all points of all clouds of
the requested categories and ``std`` the scalar population std of all their coordinates
(``reshape(-1).std()``, around the mean of all coordinates) (L103, L107, L109); the
evaluation set reuses the training set's statistics (L341-342).

Where this module differs from PointFlow:

- the statistics always come from the ``train`` split (read from disk when ``normalisation``
  is not given for val/test; PointFlow's class would use the split's own), over all 15000 rows
  of each file, computed in float64 (PointFlow: in the files' dtype);
- each cloud is one fixed subsample of ``n_points`` rows drawn without replacement, seeded by
  ``(seed, crc32(id))`` so it does not depend on the other files read; PointFlow redraws the
  training rows at every access with replacement (L141-142) and takes the first rows of the
  evaluation points (L147-151, ``random_subsample`` off for the val set);
- rows are in the requested categories' order, files sorted by name (PointFlow shuffles them
  with ``random.Random(38383)``, L83);
- a missing folder or an unreadable file raises (PointFlow prints or skips it, L57-59, L71-74).

:func:`read_hdf5` applies the same normalisation (the file's ``train`` clouds of the requested
categories). Luo & Hu instead pool train, val and test and use an unbiased std, and by
default (``shape_unit``) centre and scale each cloud on its own.

Labels (float32): one one-vs-rest column per requested category (1.0 for its clouds, else
0.0; named after the category, or the synset id when it has no name here), then the
geometric labels of :func:`geometric_labels`, measured on the returned clouds. They are
invariant to translation, isotropic scaling (hence to the normalisation) and point order, but
not to rotation; ShapeNet's up axis is y, x and z are horizontal.
"""

from __future__ import annotations

import logging
import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

# Common ShapeNetCore.v2 synsets (the 13 categories of Choy et al. 2016; names as PointFlow's).
SYNSETS: dict[str, str] = {
    "airplane": "02691156",
    "bench": "02828884",
    "cabinet": "02933112",
    "car": "02958343",
    "chair": "03001627",
    "lamp": "03636649",
    "monitor": "03211117",
    "rifle": "04090263",
    "sofa": "04256520",
    "speaker": "03691459",
    "table": "04379243",
    "telephone": "04401088",
    "vessel": "04530566",
}
NAMES: dict[str, str] = {v: k for k, v in SYNSETS.items()}
SPLITS = ("train", "val", "test")
GEOMETRIC = ("height", "elongation", "spread")
UP_AXIS = 1  # ShapeNet's y
PC15K_POINTS = 15000  # rows of every PointFlow file
PC15K_TRAIN = 10000  # rows [:10000] train, rows [10000:] evaluation (val/test)
MIN_EXTENT = 1e-3  # horizontal extents floored at this fraction of the largest extent

_SYNSET_RE = re.compile(r"\d{8}")


@dataclass(frozen=True, eq=False)
class Normalisation:
    """The global map ``(x - mean) / std`` of every cloud: ``mean`` float64 ``(3,)``, ``std``
    a positive float. Raises ValueError for other shapes or non-finite values."""

    mean: np.ndarray
    std: float

    def __post_init__(self) -> None:
        mean = np.asarray(self.mean, dtype=np.float64)
        if mean.shape != (3,) or not np.isfinite(mean).all():
            raise ValueError(f"normalisation: mean must be 3 finite values, got {self.mean!r}")
        std = np.asarray(self.std, dtype=np.float64)
        std = float(std.reshape(-1)[0]) if std.size == 1 else np.nan
        if not np.isfinite(std) or std <= 0:
            raise ValueError(f"normalisation: std must be one positive value, got {self.std!r}")
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "std", std)

    @classmethod
    def of(cls, value: Normalisation | Mapping | Sequence) -> Normalisation:
        """A Normalisation from itself, ``{"mean": ..., "std": ...}`` or ``(mean, std)``."""
        if isinstance(value, Normalisation):
            return value
        if isinstance(value, Mapping):
            if set(value) != {"mean", "std"}:
                raise ValueError(f"normalisation: keys {sorted(value)}, expected ['mean', 'std']")
            return cls(value["mean"], value["std"])
        if len(value) != 2:
            raise ValueError("normalisation: expected (mean, std)")
        return cls(*value)

    def apply(self, clouds: np.ndarray) -> np.ndarray:
        """``(x - mean) / std`` of clouds ``(..., 3)``, float32."""
        return ((np.asarray(clouds, dtype=np.float64) - self.mean) / self.std).astype(np.float32)

    def invert(self, clouds: np.ndarray) -> np.ndarray:
        """``x * std + mean`` of clouds ``(..., 3)``, float64."""
        return np.asarray(clouds, dtype=np.float64) * self.std + self.mean

    def to_dict(self) -> dict:
        return {"mean": self.mean.tolist(), "std": self.std}


class _Moments:
    """Running per-axis sums and the sum of squares of all coordinates (float64)."""

    def __init__(self) -> None:
        self.sums = np.zeros(3)
        self.squares = 0.0
        self.points = 0

    def add(self, points: np.ndarray) -> None:
        points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
        self.sums += points.sum(0)
        self.squares += float(np.square(points).sum())
        self.points += len(points)

    def result(self, where: str) -> Normalisation:
        if self.points == 0:
            raise ValueError(f"{where}: no training points to compute the normalisation from")
        mean = self.sums / self.points
        coordinate_mean = self.sums.sum() / (3 * self.points)
        variance = self.squares / (3 * self.points) - coordinate_mean**2
        std = float(np.sqrt(max(variance, 0.0)))
        if not std > 0:
            raise ValueError(f"{where}: the training points have std 0, cannot normalise")
        return Normalisation(mean, std)


# --------------------------------------------------------------------------- arguments
def resolve_categories(categories: str | Sequence[str]) -> list[tuple[str, str]]:
    """``(synset, column name)`` pairs of category names (:data:`SYNSETS`) or raw 8-digit
    synset ids, in the given order. Raises ValueError for unknown names, none or duplicates."""
    if isinstance(categories, str):
        categories = [categories]
    out = []
    for category in categories:
        if category in SYNSETS:
            out.append((SYNSETS[category], category))
        elif isinstance(category, str) and _SYNSET_RE.fullmatch(category):
            out.append((category, NAMES.get(category, category)))
        else:
            raise ValueError(
                f"unknown ShapeNet category {category!r}; known: {', '.join(sorted(SYNSETS))}, "
                "or an 8-digit synset id"
            )
    if not out:
        raise ValueError("no ShapeNet categories given")
    synsets = [s for s, _ in out]
    if len(set(synsets)) != len(synsets):
        raise ValueError(f"ShapeNet categories {list(categories)} name a synset twice")
    return out


def _check_split(split: str, where: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"{where}: split {split!r}, expected one of {list(SPLITS)}")


def _check_seed(seed: int, where: str) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"{where}: seed must be an integer >= 0, got {seed!r}")


def _check_n_points(n_points: int | None, available: int, where: str) -> None:
    if n_points is None:
        return
    if isinstance(n_points, bool) or not isinstance(n_points, int | np.integer) or n_points < 1:
        raise ValueError(f"{where}: n_points must be a positive integer, got {n_points!r}")
    if n_points > available:
        raise ValueError(f"{where}: n_points = {n_points} but only {available} points available")


def _subsample(points: np.ndarray, n_points: int | None, seed: int, key: str) -> np.ndarray:
    """``n_points`` rows without replacement, seeded by ``(seed, crc32(key))``; all rows in
    their order for None."""
    if n_points is None:
        return points
    rng = np.random.default_rng([int(seed), zlib.crc32(key.encode())])
    return points[rng.choice(len(points), n_points, replace=False)]


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


# --------------------------------------------------------------------------- labels
def geometric_labels(clouds: np.ndarray) -> pd.DataFrame:
    """Scale-invariant shape measurements of clouds ``(n, P, 3)`` (y up): float32 columns in
    :data:`GEOMETRIC` order.

    With extents ``e = max - min`` per axis: ``height`` = ``e_y / max(e)`` in (0, 1] (flat 0,
    upright 1); ``elongation`` = ``log2(e_z / e_x)``, the horizontal extents floored at
    :data:`MIN_EXTENT` times ``max(e)`` (so within about +-10); ``spread`` = mean over max of
    the points' distances from the centroid, in (0, 1] (1 for a sphere's surface).
    Invariant to translation, isotropic scaling and point order. Raises ValueError for other
    shapes, non-finite values or a cloud whose points all coincide.
    """
    clouds = np.asarray(clouds, dtype=np.float64)
    if clouds.ndim != 3 or clouds.shape[-1] != 3 or clouds.shape[1] == 0:
        raise ValueError(f"geometric_labels: clouds have shape {clouds.shape}, expected (n, P, 3)")
    if not np.isfinite(clouds).all():
        bad = int(np.flatnonzero(~np.isfinite(clouds).all((1, 2)))[0])
        raise ValueError(f"geometric_labels: cloud {bad} has non-finite coordinates")
    extent = clouds.max(1) - clouds.min(1)  # (n, 3)
    largest = extent.max(1)
    if (largest <= 0).any():
        bad = int(np.flatnonzero(largest <= 0)[0])
        raise ValueError(f"geometric_labels: cloud {bad} is a single point (all extents 0)")
    floor = MIN_EXTENT * largest
    radius = np.linalg.norm(clouds - clouds.mean(1, keepdims=True), axis=-1)  # (n, P)
    return pd.DataFrame(
        {
            "height": extent[:, UP_AXIS] / largest,
            "elongation": np.log2(
                np.maximum(extent[:, 2], floor) / np.maximum(extent[:, 0], floor)
            ),
            "spread": radius.mean(1) / radius.max(1),
        }
    ).astype("float32")


def _table(
    ids: list[str], split: str, synsets: list[str], cats: list[tuple[str, str]], clouds
) -> pd.DataFrame:
    columns: dict = {"id": pd.Series(ids, dtype=str), "split": split}
    owner = np.array(synsets)
    for synset, name in cats:
        columns[name] = (owner == synset).astype(np.float32)
    table = pd.DataFrame(columns)
    return pd.concat([table, geometric_labels(clouds)], axis=1)


# --------------------------------------------------------------------------- PointFlow's PC15k
def _pc15k_files(root: Path, synset: str, name: str, split: str) -> list[Path]:
    """The split folder's ``.npy`` files sorted by name; raises FileNotFoundError when the
    category folder, the split folder or every ``.npy`` file is missing."""
    folder = root / synset
    if not folder.is_dir():
        raise FileNotFoundError(
            f"read_pc15k: category folder {folder} ({name}) missing, expected "
            f"<root>/<synset>/{split}/<model_id>.npy"
        )
    folder = folder / split
    if not folder.is_dir():
        raise FileNotFoundError(f"read_pc15k: split folder {folder} ({name}) missing")
    entries = sorted(folder.iterdir())
    files = [p for p in entries if p.suffix == ".npy" and p.is_file()]
    if not files:
        raise FileNotFoundError(f"read_pc15k: no .npy files in {folder} ({name})")
    if len(files) < len(entries):
        log.info("read_pc15k: ignored %d non-.npy entries in %s", len(entries) - len(files), folder)
    return files


def _load_pc15k(path: Path) -> np.ndarray:
    """One file's array ``(15000, 3)`` float64; ValueError naming the file otherwise."""
    try:
        points = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise ValueError(f"{path}: cannot read as a .npy array ({_one_line(exc)})") from None
    if (
        points.shape != (PC15K_POINTS, 3)
        or not np.issubdtype(points.dtype, np.number)
        or np.issubdtype(points.dtype, np.complexfloating)
    ):
        raise ValueError(
            f"{path}: array of shape {points.shape} and dtype {points.dtype}, expected "
            f"real numbers of shape ({PC15K_POINTS}, 3)"
        )
    points = points.astype(np.float64)
    if not np.isfinite(points).all():
        raise ValueError(f"{path}: array has non-finite values")
    return points


def pc15k_normalisation(root: str | Path, categories: str | Sequence[str]) -> Normalisation:
    """PointFlow's global statistics of the ``train`` split of ``categories`` under ``root``:
    per-axis mean ``(3,)`` of all 15000 rows of every file and the scalar std of all their
    coordinates. Raises like :func:`read_pc15k`."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"read_pc15k: root {root} is not a directory")
    moments = _Moments()
    for synset, name in resolve_categories(categories):
        for path in _pc15k_files(root, synset, name, "train"):
            moments.add(_load_pc15k(path))
    return moments.result(f"read_pc15k: {root}")


def read_pc15k(
    root: str | Path,
    categories: str | Sequence[str],
    split: str,
    n_points: int | None = 2048,
    seed: int = 0,
    normalisation: Normalisation | Mapping | Sequence | None = None,
) -> tuple[pd.DataFrame, np.ndarray, Normalisation]:
    """Read one split of PointFlow's ``ShapeNetCore.v2.PC15k`` under ``root``.

    Returns (table, clouds float32 ``(n, n_points, 3)``, normalisation), rows in the order of
    ``categories`` and then by file name. Each cloud is ``n_points`` rows drawn without
    replacement (seeded by ``seed`` and the id; None keeps every row in file order) from rows
    ``[:10000]`` (train) or ``[10000:]`` (val, test) of its file, then mapped by the
    normalisation: the one given, else the train split's statistics
    (:func:`pc15k_normalisation`; computed while reading when ``split`` is ``train``). Pass
    the train call's normalisation to val/test to avoid reading the train files again.

    Raises FileNotFoundError for a missing root, category or split folder or a folder without
    ``.npy`` files; ValueError for an unknown category or split, a file that is not an array
    ``(15000, 3)`` of finite numbers, or ``n_points`` above 10000 (train) or 5000 (val, test).
    """
    where = "read_pc15k"
    _check_split(split, where)
    _check_seed(seed, where)
    cats = resolve_categories(categories)
    rows = slice(0, PC15K_TRAIN) if split == "train" else slice(PC15K_TRAIN, PC15K_POINTS)
    _check_n_points(n_points, rows.stop - rows.start, where)
    norm = None if normalisation is None else Normalisation.of(normalisation)
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{where}: root {root} is not a directory")
    files = [
        (synset, path) for synset, name in cats for path in _pc15k_files(root, synset, name, split)
    ]
    if norm is None and split != "train":
        norm = pc15k_normalisation(root, [s for s, _ in cats])
    moments = _Moments()
    ids, raw = [], []
    for synset, path in files:
        points = _load_pc15k(path)
        if norm is None:
            moments.add(points)
        ids.append(f"{synset}/{path.stem}")
        raw.append(_subsample(points[rows], n_points, seed, ids[-1]))
    if norm is None:
        norm = moments.result(f"{where}: {root}")
    clouds = norm.apply(np.stack(raw))
    log.info("%s: %d %s clouds from %s", where, len(ids), split, root)
    return _table(ids, split, [s for s, _ in files], cats, clouds), clouds, norm


# --------------------------------------------------------------------------- shapenet.hdf5
def _hdf5_dataset(f, path: Path, synset: str, name: str, split: str):
    """``f[synset][split]``, checked to be ``(N >= 1, P >= 1, 3)``; one-line errors."""
    if synset not in f:
        raise ValueError(
            f"{path}: no group '{synset}' ({name}); groups present: {sorted(f.keys())}"
        )
    group = f[synset]
    if not hasattr(group, "keys") or split not in group or not hasattr(group[split], "shape"):
        raise ValueError(f"{path}: no dataset '{synset}/{split}' ({name})")
    data = group[split]
    shape = tuple(data.shape)
    if len(shape) != 3 or shape[2] != 3 or shape[0] < 1 or shape[1] < 1:
        raise ValueError(
            f"{path}: dataset '{synset}/{split}' has shape {shape}, expected (N, P, 3)"
        )
    return data


def _load_hdf5(data, path: Path, synset: str, split: str) -> np.ndarray:
    clouds = np.asarray(data[...])
    if not np.issubdtype(clouds.dtype, np.number) or np.issubdtype(
        clouds.dtype, np.complexfloating
    ):
        raise ValueError(f"{path}: dataset '{synset}/{split}' has dtype {clouds.dtype}")
    clouds = clouds.astype(np.float64)
    if not np.isfinite(clouds).all():
        raise ValueError(f"{path}: dataset '{synset}/{split}' has non-finite values")
    return clouds


def read_hdf5(
    path: str | Path,
    categories: str | Sequence[str],
    split: str,
    n_points: int | None = None,
    seed: int = 0,
    normalisation: Normalisation | Mapping | Sequence | None = None,
) -> tuple[pd.DataFrame, np.ndarray, Normalisation]:
    """Read one split of a ``shapenet.hdf5`` file (datasets ``f[synset][split]`` of shape
    ``(N, P, 3)``, P = 2048 in the published file).

    Returns (table, clouds float32 ``(n, n_points or P, 3)``, normalisation) like
    :func:`read_pc15k`, rows in the order of ``categories`` and then of the file. ``n_points``
    rows are drawn without replacement (seeded by ``seed`` and the id); None keeps all ``P``
    rows in order. The normalisation is the one given, else the statistics of the file's
    ``train`` clouds of ``categories`` (per-axis mean of all points, scalar std of all
    coordinates), whatever ``split`` is read.

    Raises ImportError without h5py; FileNotFoundError for a missing file; ValueError for a
    file that is not HDF5, a missing group or dataset, a dataset not ``(N, P, 3)`` of finite
    numbers, an unknown category or split, or ``n_points`` above ``P``.
    """
    where = "read_hdf5"
    try:
        import h5py
    except ImportError:
        raise ImportError(f"{where}: h5py is not installed; pip install h5py") from None
    _check_split(split, where)
    _check_seed(seed, where)
    cats = resolve_categories(categories)
    _check_n_points(n_points, np.iinfo(np.int64).max, where)
    norm = None if normalisation is None else Normalisation.of(normalisation)
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{where}: file {path} not found")
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise ValueError(f"{path}: cannot open as HDF5 ({_one_line(exc)})") from None
    with f:
        datasets = [(synset, _hdf5_dataset(f, path, synset, name, split)) for synset, name in cats]
        for synset, data in datasets:
            _check_n_points(n_points, data.shape[1], f"{path}: '{synset}/{split}'")
        if norm is None:
            moments = _Moments()
            for synset, name in cats:
                train = _hdf5_dataset(f, path, synset, name, "train")
                moments.add(_load_hdf5(train, path, synset, "train"))
            norm = moments.result(f"{where}: {path}")
        ids, owners, raw = [], [], []
        for synset, data in datasets:
            for j, points in enumerate(_load_hdf5(data, path, synset, split)):
                ids.append(f"{synset}/{split}_{j:05d}")
                owners.append(synset)
                raw.append(_subsample(points, n_points, seed, ids[-1]))
    clouds = norm.apply(np.stack(raw))
    log.info("%s: %d %s clouds from %s", where, len(ids), split, path)
    return _table(ids, split, owners, cats, clouds), clouds, norm


# --------------------------------------------------------------------------- the data set
FORMATS = ("pc15k", "hdf5")


def label_kinds(categories: str | Sequence[str]) -> dict[str, str]:
    """PluGeN's label kinds: one binary one-vs-rest column per category (its name, or its
    synset id when it has none), then the continuous :data:`GEOMETRIC` labels. Raises
    ValueError for an unknown category."""
    names = [NAMES.get(s, s) for s, _ in resolve_categories(categories)]
    return {**{n: "binary" for n in names}, **{g: "continuous" for g in GEOMETRIC}}


def read_dataset(
    fmt: str,
    path: str | Path,
    categories: str | Sequence[str],
    n_points: int | None = 2048,
    seed: int = 0,
) -> tuple[pd.DataFrame, np.ndarray, Normalisation]:
    """Every split (train, val, test) of ``path`` in format ``fmt`` (:data:`FORMATS`:
    :func:`read_pc15k` or :func:`read_hdf5`), normalised with the train split's statistics:
    (table, clouds float32 ``(n, n_points, 3)``, normalisation), splits in that order. Raises
    ValueError for an unknown format, and like the readers."""
    if fmt not in FORMATS:
        raise ValueError(f"read_dataset: format must be one of {FORMATS}, got {fmt!r}")
    read = read_pc15k if fmt == "pc15k" else read_hdf5
    tables, clouds, norm = [], [], None
    for split in SPLITS:
        table, split_clouds, norm = read(path, categories, split, n_points, seed, norm)
        tables.append(table)
        clouds.append(split_clouds)
    return pd.concat(tables, ignore_index=True), np.concatenate(clouds), norm
