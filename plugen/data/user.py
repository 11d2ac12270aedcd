"""A researcher's own latents and labels: readers, W+ handling, attribute kinds and splits.

Latents come as ``.npy``, ``.pt`` or ``.parquet`` (``id`` and a list column ``z``), either
``(n, d)`` or StyleGAN-style W+ ``(n, L, d)``; labels as a csv with one numeric column per
attribute (empty cell = unknown). :func:`load_user_data` puts them together for training.
Every error is one line naming the file and what was expected.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from plugen.atomic import atomic_path
from plugen.io import check_spread

LATENT_SUFFIXES = (".npy", ".pt", ".parquet")
SPLIT_VALUES = ("train", "val", "test")
W_PLUS_MODES = ("first", "mean")
KIND_NAMES = ("binary", "continuous")
SPECIAL_COLUMNS = ("id", "split")
RESERVED_COLUMNS = ("z",)  # the latents' column in the latents table
_UNKNOWN_CELLS = ("", "nan", "na")
_SHOW = 5  # ids or values quoted in an error message
_PANDAS_INDEX = re.compile(r"Unnamed: \d+")

log = logging.getLogger(__name__)


def _first(items: Sequence, k: int = _SHOW) -> str:
    """``items`` quoted for an error: the first ``k`` and how many there are in all."""
    shown = ", ".join(repr(x) for x in list(items)[:k])
    return f"{shown} ({len(items)} in all)" if len(items) > k else shown


def _suffix_check(path: Path, suffixes: Sequence[str], what: str) -> str:
    suffix = path.suffix.lower()
    if suffix not in suffixes:
        raise ValueError(
            f"{path}: unknown {what} format '{suffix}', expected one of {', '.join(suffixes)}"
        )
    return suffix


# ---------------------------------------------------------------------------- latents
def _read_npy(path: Path) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise ValueError(f"{path}: not a readable .npy array ({exc})") from None


def _read_pt(path: Path) -> np.ndarray:
    import torch

    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means a foreign file
        raise ValueError(f"{path}: not a readable .pt tensor file ({type(exc).__name__})") from None
    if isinstance(obj, dict):
        tensors = {k: v for k, v in obj.items() if isinstance(v, torch.Tensor)}
        if len(tensors) != 1:
            raise ValueError(
                f"{path}: holds a dict with {len(tensors)} tensor(s) {sorted(map(str, tensors))}, "
                "expected a tensor or a dict with exactly one tensor"
            )
        obj = next(iter(tensors.values()))
    if not isinstance(obj, torch.Tensor):
        raise ValueError(f"{path}: holds a {type(obj).__name__}, expected a tensor")
    return obj.detach().float().numpy()


def _read_parquet(path: Path) -> tuple[np.ndarray, list[str] | None]:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ValueError(f"{path}: not a readable Parquet file ({exc})") from None
    if "z" not in table.column_names:
        raise ValueError(f"{path}: no latent column 'z' (columns: {table.column_names})")
    arr = table.column("z").combine_chunks()
    shape = [len(arr)]
    while (
        pa.types.is_list(arr.type)
        or pa.types.is_large_list(arr.type)
        or (pa.types.is_fixed_size_list(arr.type))
    ):
        if arr.null_count:
            raise ValueError(f"{path}: column 'z' has {arr.null_count} empty (null) list(s)")
        if pa.types.is_fixed_size_list(arr.type):
            shape.append(arr.type.list_size)
        else:
            lengths = np.unique(pc.list_value_length(arr).to_numpy(zero_copy_only=False))
            if len(lengths) > 1:
                raise ValueError(
                    f"{path}: column 'z' has ragged lists (lengths {lengths.min()} to "
                    f"{lengths.max()}), expected equal lengths"
                )
            shape.append(int(lengths[0]) if len(lengths) else 0)
        arr = arr.flatten()
    if len(shape) == 1 or not (pa.types.is_floating(arr.type) or pa.types.is_integer(arr.type)):
        raise ValueError(
            f"{path}: column 'z' has type {table.schema.field('z').type}, "
            "expected a list of numbers per row"
        )
    if arr.null_count:
        raise ValueError(f"{path}: column 'z' has {arr.null_count} null number(s)")
    z = arr.to_numpy(zero_copy_only=False).astype(np.float32).reshape(shape)
    ids = None
    if "id" in table.column_names:
        ids = [str(x) for x in table.column("id").to_pylist()]
    return z, ids


def read_latents(path: str | Path) -> tuple[np.ndarray, list[str] | None]:
    """Read latents from ``.npy``, ``.pt`` (a tensor, or a dict with one tensor value) or
    ``.parquet`` (list column ``z``, optional ``id``).

    Returns float32 ``(n, d)`` or W+ ``(n, L, d)`` and the ids (None when the file has none).
    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` for an unknown suffix,
    an unreadable file, a wrong number of dimensions, no rows, NaN/inf rows, ragged ``z``
    lists or duplicate ids.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such latents file")
    suffix = _suffix_check(path, LATENT_SUFFIXES, "latents")
    ids = None
    if suffix == ".npy":
        z = _read_npy(path)
    elif suffix == ".pt":
        z = _read_pt(path)
    else:
        z, ids = _read_parquet(path)
    if not (np.issubdtype(z.dtype, np.number) or z.dtype == bool):
        raise ValueError(f"{path}: latents have dtype {z.dtype}, expected numbers")
    if z.ndim not in (2, 3):
        raise ValueError(f"{path}: has shape {tuple(z.shape)}, expected (n, d) or (n, L, d)")
    if len(z) == 0 or z.size == 0:
        raise ValueError(f"{path}: has shape {tuple(z.shape)}, expected at least one latent")
    z = np.ascontiguousarray(z, dtype=np.float32)
    bad = ~np.isfinite(z).reshape(len(z), -1).all(1)
    if bad.any():
        raise ValueError(
            f"{path}: {int(bad.sum())} of {len(z)} latent(s) contain NaN or infinite values "
            f"(first at row {int(np.flatnonzero(bad)[0])})"
        )
    if ids is not None:
        dupes = pd.Index(ids)[pd.Index(ids).duplicated()].unique().tolist()
        if dupes:
            raise ValueError(f"{path}: duplicate id(s) {_first(dupes)}")
    return z, ids


def write_latents(path: str | Path, z: np.ndarray, ids: Sequence[str] | None = None) -> Path:
    """Write latents ``(n, d)`` or ``(n, L, d)`` atomically; the suffix picks the format.

    ``.npy``: the array; ``.parquet``: columns ``id`` (``ids``, default "0".."n-1") and ``z``
    (fixed-size lists of float32, nested for W+). Raises ``ValueError`` for another suffix or
    ids of the wrong length.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    suffix = _suffix_check(path, (".npy", ".parquet"), "latents output")
    z = np.ascontiguousarray(z, dtype=np.float32)
    ids = [str(i) for i in range(len(z))] if ids is None else [str(i) for i in ids]
    if len(ids) != len(z):
        raise ValueError(f"{path}: {len(ids)} ids for {len(z)} latents")
    with atomic_path(path) as tmp:
        if suffix == ".npy":
            with open(tmp, "wb") as fh:
                np.save(fh, z)
        else:
            col = pa.array(z.reshape(-1), type=pa.float32())
            for width in reversed(z.shape[1:]):
                col = pa.FixedSizeListArray.from_arrays(col, width)
            pq.write_table(pa.table({"id": pa.array(ids, pa.string()), "z": col}), tmp)
    return path


def reduce_w_plus(z: np.ndarray, mode: str = "first") -> np.ndarray:
    """W+ latents ``(n, L, d)`` -> ``(n, d)``: ``"first"`` takes ``z[:, 0]`` (as the paper's
    StyleGAN code does), ``"mean"`` averages over L. ``(n, d)`` passes through unchanged.
    Raises ``ValueError`` for another mode or shape."""
    if mode not in W_PLUS_MODES:
        raise ValueError(f"w_plus mode must be one of {W_PLUS_MODES}, got {mode!r}")
    z = np.asarray(z, dtype=np.float32)
    if z.ndim == 2:
        return z
    if z.ndim != 3:
        raise ValueError(f"latents have shape {z.shape}, expected (n, d) or (n, L, d)")
    return np.ascontiguousarray(z[:, 0]) if mode == "first" else z.mean(1, dtype=np.float32)


def broadcast_w_plus(z: np.ndarray, layers: int) -> np.ndarray:
    """``(n, d)`` -> ``(n, layers, d)``, the same latent at every layer (a new array).
    Raises ``ValueError`` when ``z`` is not 2-d or ``layers < 1``."""
    z = np.asarray(z, dtype=np.float32)
    if z.ndim != 2:
        raise ValueError(f"latents have shape {z.shape}, expected (n, d) to broadcast to W+")
    if layers < 1:
        raise ValueError(f"W+ layers must be >= 1, got {layers}")
    return np.repeat(z[:, None, :], int(layers), axis=1)


# ---------------------------------------------------------------------------- labels
def _read_cells(path: Path) -> tuple[list[str], pd.DataFrame]:
    """A csv as its header and a frame of stripped string cells indexed by line number
    (blank lines skipped). Raises ``ValueError`` for an unreadable file or a row whose
    number of fields differs from the header's."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:  # -sig: Excel's BOM
            reader = csv.reader(fh)
            header = [c.strip() for c in next(reader, [])]
            rows, lines = [], []
            for row in reader:
                if not row:  # a blank line
                    continue
                if len(row) != len(header):
                    raise ValueError(
                        f"{path}: line {reader.line_num} has {len(row)} field(s), "
                        f"the header has {len(header)}"
                    )
                rows.append([cell.strip() for cell in row])
                lines.append(reader.line_num)
    except (csv.Error, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not a readable csv ({exc})") from None
    if not header or header == [""]:
        raise ValueError(f"{path}: not a readable csv (no header line)")
    return header, pd.DataFrame(rows, columns=range(len(header)), index=lines, dtype=object)


def _numeric_column(path: Path, name: str, cells: pd.Series) -> np.ndarray:
    """Cells of one attribute column -> float32 ``(n,)``; empty/NA/NaN = unknown."""
    text = cells.astype(str)
    unknown = text.str.lower().isin(_UNKNOWN_CELLS)
    values = pd.to_numeric(text.where(~unknown), errors="coerce")
    for bad, why in (
        (~unknown & values.isna(), "is not a number"),
        (np.isinf(values), "is infinite"),
    ):
        rows = np.flatnonzero(bad.to_numpy())
        if len(rows):
            more = f" (and {len(rows) - 1} more)" if len(rows) > 1 else ""
            raise ValueError(
                f"{path}: column '{name}', line {text.index[rows[0]]}: {text.iloc[rows[0]]!r} {why}"
                f"{more}; leave the cell empty for unknown"
            )
    if unknown.all():
        raise ValueError(f"{path}: attribute column '{name}' has no known value (all empty)")
    return values.to_numpy(dtype=np.float32)


def _check_column_names(path: Path, header: Sequence[str]) -> None:
    """Refuse a reserved name, a saved pandas index and a case variant of ``id`` / ``split``."""
    for name in header:
        if name in RESERVED_COLUMNS:
            raise ValueError(
                f"{path}: column {name!r} is a reserved name (the latents' column); rename it"
            )
        if _PANDAS_INDEX.fullmatch(name):
            raise ValueError(
                f"{path}: column {name!r} looks like a saved pandas index; "
                "drop it (to_csv(index=False))"
            )
        if name not in SPECIAL_COLUMNS and name.lower() in SPECIAL_COLUMNS:
            raise ValueError(f"{path}: column {name!r}: did you mean {name.lower()!r}?")


def read_labels(path: str | Path, n: int, ids: Sequence[str] | None = None) -> pd.DataFrame:
    """Read a labels csv for ``n`` latents (with ids ``ids``, or None).

    Rows are matched to the latents by an ``id`` column when the file has one (every latent
    needs a row, no extra rows; latents without ``ids`` have the ids "0".."n-1", their row
    numbers), else taken in order. An optional ``split`` column holds train/val/test; every
    other column is a numeric attribute (empty cell = unknown) with at least two known values.
    The file may start with a UTF-8 byte-order mark. Returns a frame with ``id`` (strings: the
    file's, else ``ids``, else "0".."n-1"), ``split`` when present, and one float32 column per
    attribute in file order, one row per latent in latent order. Raises
    ``FileNotFoundError`` / ``ValueError`` naming the file, also for a column named ``z``
    (reserved), ``Unnamed: 0`` (a saved pandas index) or ``ID`` / ``Split`` (a case variant
    of ``id`` / ``split``).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such labels file")
    if ids is not None and len(ids) != n:
        raise ValueError(f"read_labels: {len(ids)} ids for n={n} latents")
    header, raw = _read_cells(path)
    dupes = sorted({c for c in header if header.count(c) > 1})
    if dupes:
        raise ValueError(f"{path}: duplicate column(s) {dupes}")
    raw.columns = header
    _check_column_names(path, header)
    attributes = [c for c in header if c not in SPECIAL_COLUMNS]
    if not attributes:
        raise ValueError(
            f"{path}: no attribute column (columns: {header}); expected id, "
            "optional split, and one numeric column per attribute"
        )
    if "id" in raw.columns:
        empty = raw.index[(raw["id"] == "").to_numpy()]
        if len(empty):
            raise ValueError(f"{path}: empty id on line {empty[0]}")
        repeated = raw["id"][raw["id"].duplicated()].unique().tolist()
        if repeated:
            raise ValueError(f"{path}: duplicate id(s) {_first(repeated)}")
        wanted = [str(i) for i in (ids if ids is not None else range(n))]
        have, want = set(raw["id"]), set(wanted)
        missing = [i for i in wanted if i not in have]
        extra = [i for i in raw["id"] if i not in want]
        if missing or extra:
            parts = [f"no row for latent id(s) {_first(missing)}"] if missing else []
            parts += [f"rows for id(s) not among the latents {_first(extra)}"] if extra else []
            if ids is None:
                parts.insert(
                    0,
                    f"the latents have no ids, so column 'id' must hold the row numbers "
                    f"0..{n - 1} (in any order), or be dropped to match rows in file order",
                )
            raise ValueError(f"{path}: {'; '.join(parts)}")
        raw = raw.iloc[pd.Index(raw["id"]).get_indexer(wanted)]
    if len(raw) != n:
        raise ValueError(f"{path}: has {len(raw)} label rows but there are {n} latents")
    out = pd.DataFrame(index=range(n))
    if "id" in raw.columns:
        out["id"] = raw["id"].to_numpy(dtype=object)
    else:
        out["id"] = [str(i) for i in ids] if ids is not None else [str(i) for i in range(n)]
    if "split" in raw.columns:
        split = raw["split"].str.lower()
        bad = sorted(set(split) - set(SPLIT_VALUES))
        if bad:
            raise ValueError(
                f"{path}: column 'split' has value(s) {bad}, expected {', '.join(SPLIT_VALUES)}"
            )
        out["split"] = split.to_numpy(dtype=object)
    for name in attributes:
        out[name] = _numeric_column(path, name, raw[name])
        known = np.unique(out[name].dropna().to_numpy())
        if len(known) == 1:
            raise ValueError(
                f"{path}: attribute column '{name}' has a single known value ({known[0]:g}); "
                "nothing can be learned from it: drop the column"
            )
    return out


# ---------------------------------------------------------------------------- kinds
def _known_values(labels: pd.DataFrame, name: str) -> set[float]:
    return set(np.unique(labels[name].dropna().to_numpy(dtype=float)).tolist())


def _is_binary(values: set[float]) -> bool:
    return values <= {0.0, 1.0} or values <= {-1.0, 1.0}


def infer_kinds(
    labels: pd.DataFrame,
    attributes: Sequence[str],
    overrides: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Kind of each attribute column of ``labels``: "binary" when its known values are a
    subset of {0, 1} or of {-1, 1}, else "continuous"; ``overrides`` ({name: kind}) win.

    A column with exactly two known values that are not binary ones (e.g. 0 and 2) is
    continuous, with a logged warning. Returns ``{attribute: kind}`` in ``attributes`` order.
    Raises ``ValueError`` for a column missing from ``labels``, an override naming no
    attribute or giving another kind, and an override to binary of a column with other values.
    """
    overrides = dict(overrides or {})
    missing = [a for a in attributes if a not in labels.columns]
    if missing:
        raise ValueError(f"labels have no column(s) {missing}")
    unknown = [a for a in overrides if a not in attributes]
    if unknown:
        raise ValueError(
            f"kinds name unknown attribute(s) {unknown}; attributes: {list(attributes)}"
        )
    bad = {a: k for a, k in overrides.items() if k not in KIND_NAMES}
    if bad:
        raise ValueError(f"kinds must be 'binary' or 'continuous', got {bad}")
    kinds = {}
    for name in attributes:
        values = _known_values(labels, name)
        if overrides.get(name) == "binary" and not _is_binary(values):
            shown = sorted(values - {0.0, 1.0, -1.0})[:_SHOW]
            raise ValueError(
                f"attribute '{name}' is declared binary but has value(s) {shown}; "
                "binary labels are 0/1 or -1/1"
            )
        kinds[name] = overrides.get(name) or ("binary" if _is_binary(values) else "continuous")
        if len(values) == 2 and name not in overrides and kinds[name] == "continuous":
            low, high = sorted(values)
            log.warning(
                "attribute '%s' has the two values %g and %g and is taken as continuous; "
                "recode it to 0/1 to make it binary, or declare it continuous in kinds "
                "(%s=continuous) to keep it so",
                name,
                low,
                high,
                name,
            )
    return kinds


def binarize(labels: pd.DataFrame, kinds: Mapping[str, str]) -> pd.DataFrame:
    """A copy of ``labels`` with binary columns coded as {-1, 1} mapped to {0, 1} (NaN kept).
    Raises ``ValueError`` for a binary column with values other than 0/1 or -1/1."""
    out = labels.copy()
    for name, kind in kinds.items():
        if kind != "binary":
            continue
        values = _known_values(out, name)
        if not _is_binary(values):
            raise ValueError(f"binary attribute '{name}' has values {sorted(values)[:_SHOW]}")
        if -1.0 in values:
            out[name] = ((out[name] + 1.0) / 2.0).astype(np.float32)
    return out


# ---------------------------------------------------------------------------- splits
def assign_splits(
    n: int,
    seed: int,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
    given: Sequence[str] | None = None,
) -> np.ndarray:
    """Split names ``(n,)`` ("train"/"val"/"test"): ``given`` when present (checked), else a
    permutation seeded by ``seed`` cut by ``fractions`` (train, val, test), with every split
    non-empty when ``n >= 3``. Raises ``ValueError`` for bad fractions or given values."""
    if given is not None:
        split = np.asarray([str(s) for s in given], dtype=object)
        if len(split) != n:
            raise ValueError(f"assign_splits: {len(split)} given splits for n={n}")
        bad = sorted(set(split) - set(SPLIT_VALUES))
        if bad:
            raise ValueError(f"split values {bad}, expected {', '.join(SPLIT_VALUES)}")
        return split
    frac = np.asarray(fractions, dtype=float)
    if frac.shape != (3,) or (frac < 0).any() or not np.isclose(frac.sum(), 1.0):
        raise ValueError(
            f"split fractions must be 3 non-negative numbers summing to 1, got {tuple(fractions)}"
        )
    counts = [int(round(n * f)) for f in frac]
    if n >= 3:  # every split with a positive fraction gets at least one row
        counts = [max(c, 1) if f > 0 else c for c, f in zip(counts, frac)]
    while sum(counts) > n:  # rounding overshoot: shrink the largest split
        counts[int(np.argmax(counts))] -= 1
    counts[0] += n - sum(counts)  # rounding shortfall goes to train
    n_val, n_test = counts[1], counts[2]
    split = np.full(n, "train", dtype=object)
    order = np.random.default_rng(seed).permutation(n)
    split[order[:n_val]] = "val"
    split[order[n_val : n_val + n_test]] = "test"
    return split


# ---------------------------------------------------------------------------- together
@dataclass(frozen=True)
class UserData:
    """A user's data set ready for training.

    frame: ``id``, ``split`` and one float32 column per attribute (binary ones 0/1, NaN =
    unknown), one row per latent; z: ``(n, d)`` float32 (W+ latents reduced); layers: L of
    W+ input, else None; kinds: attribute -> "binary" | "continuous", in column order; z_std:
    the encoder's posterior standard deviations ``(n, d)``, when given; split_given: the
    labels file had a ``split`` column (else the splits were assigned, seeded).
    """

    frame: pd.DataFrame
    z: np.ndarray
    layers: int | None
    kinds: dict[str, str]
    z_std: np.ndarray | None = None
    split_given: bool = False

    @property
    def attributes(self) -> list[str]:
        return list(self.kinds)


def load_user_data(
    latents: str | Path,
    labels: str | Path,
    kinds: Mapping[str, str] | None = None,
    w_plus: str = "first",
    seed: int = 0,
    latents_std: str | Path | None = None,
) -> UserData:
    """Read ``latents`` and ``labels`` (see :func:`read_latents`, :func:`read_labels`), reduce
    W+ latents with ``w_plus``, infer kinds (``kinds`` overrides), code binary labels 0/1
    and keep or assign splits (seeded by ``seed``); ``latents_std``: a file of the posterior's
    standard deviations (:func:`read_spread`). Raises the readers' errors, and
    ``ValueError`` naming both files when there are not fewer attributes than the latent
    width d (the flow needs style dimensions)."""
    z, ids = read_latents(latents)
    z_std = None if latents_std is None else read_spread(latents_std, z, ids, latents)
    layers = int(z.shape[1]) if z.ndim == 3 else None
    z = reduce_w_plus(z, w_plus)
    frame = read_labels(labels, len(z), ids)
    attributes = [c for c in frame.columns if c not in SPECIAL_COLUMNS]
    if len(attributes) >= z.shape[1]:
        raise ValueError(
            f"{labels}: {len(attributes)} label column(s) but the latents in {latents} have "
            f"width {z.shape[1]}; PluGeN needs fewer attributes than the latent width: "
            "drop label columns or use wider latents"
        )
    found = infer_kinds(frame, attributes, kinds)
    frame = binarize(frame, found)
    given = "split" in frame
    split = assign_splits(len(z), seed, given=frame["split"] if given else None)
    frame = frame.drop(columns="split", errors="ignore")
    frame.insert(1, "split", split)
    return UserData(frame=frame, z=z, layers=layers, kinds=found, z_std=z_std, split_given=given)


def read_spread(
    path: str | Path, z: np.ndarray, ids: list[str] | None, latents: str | Path
) -> np.ndarray:
    """The posterior standard deviations in ``path`` (read like latents), checked against the
    latents ``z`` read from ``latents`` with their ``ids``: float32 ``(n, d)``.

    Raises ValueError naming the file for another shape (W+ latents have no posterior: they
    are samples), other ids or a different order, a negative value.
    """
    if z.ndim != 2:
        raise ValueError(
            f"{path}: a posterior spread needs (n, d) latents; {latents} has shape "
            f"{tuple(z.shape)} (W+ latents are samples already: drop latents_std)"
        )
    z_std, std_ids = read_latents(path)
    if std_ids is not None and ids is not None and list(std_ids) != list(ids):
        raise ValueError(f"{path}: ids differ from those of {latents} (same rows, same order)")
    return check_spread(z_std, z, f"{path} (posterior spread of {latents})")
