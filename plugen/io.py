"""Parquet contracts between pipeline stages (docs/architecture.md).

Every table is written atomically (temp file + rename) with an explicit Arrow schema and checked
on read, so a stage never consumes a half-written or wrong-shaped file silently. Latents live in
a ``z`` column of type ``fixed_size_list<float32>[d]`` and come back as an ``(n, d)`` array.
Writing the same frame twice gives the same bytes. A latents table may also hold the
backbone posterior's standard deviation per latent, ``z_std`` (same type and width as ``z``):
the flow then trains on fresh posterior samples ``z + z_std * eps`` (:mod:`plugen.posterior`).

Reading accepts what other writers (``DataFrame.to_parquet``, plain pyarrow) produce for the
same logical schema and converts it to the contract's types: ``large_string`` or dictionary
strings for strings, any floating type for float32 columns (rounded to float32), integers for
float32 columns when every value is exactly representable, any integer type for integer
columns when every value fits, and ``list``/``large_list`` latents whose rows share one length.
A pandas index stored as a column is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from plugen.atomic import atomic_path

SPLITS = ("pretrain", "train", "val", "test")


@dataclass(frozen=True)
class Contract:
    """Schema of one kind of table.

    required: column -> Arrow type; one_of: payload columns of which exactly one must exist
    (at most one when ``payload_optional``: samples of an experiment without a decoder);
    optional: allowed columns that may be missing; extra_float: every other column is float32
    (attributes, ``target_*``, ``pred_*``); has_z: a fixed-size-list latent column ``z``;
    has_spread: an optional ``z_std`` column of the same width (the posterior's spread).
    """

    name: str
    required: dict[str, pa.DataType]
    one_of: tuple[str, ...] = ()
    optional: dict[str, pa.DataType] = field(default_factory=dict)
    extra_float: bool = True
    has_z: bool = False
    z_optional: bool = False
    payload_optional: bool = False
    has_spread: bool = False


DATASET = Contract(
    "dataset",
    {"id": pa.string(), "split": pa.string()},
    one_of=("image_path", "smiles", "cloud_path"),
)
LATENTS = Contract(
    "latents", {"id": pa.string(), "split": pa.string()}, has_z=True, has_spread=True
)
SAMPLES = Contract(
    "samples",
    {"sample_id": pa.string()},
    one_of=("image_path", "smiles"),
    optional={
        "source_id": pa.string(),
        "task": pa.string(),
        "group": pa.string(),
        "step": pa.int32(),
        "cloud_path": pa.string(),  # point-cloud samples: the cloud; image_path is its rendering
    },
    has_z=True,
    z_optional=True,
    payload_optional=True,
)
# one row per filling of a masked test image (plugen.inverse.task): target_<attr> float32
# (NaN = not requested), the filling (composite) in image_path, the raw decode in decoded_path
INPAINT = Contract(
    "inpaint",
    {
        "sample_id": pa.string(),
        "source_id": pa.string(),
        "mask": pa.string(),
        "request": pa.string(),
        "k": pa.int32(),
        "source_index": pa.int64(),
    },
    one_of=("image_path",),
    optional={"decoded_path": pa.string()},
    has_z=True,
    z_optional=True,
)
SCORES = Contract("scores", {"sample_id": pa.string()})
METRICS = Contract("metrics", {}, extra_float=False)
HISTORY = Contract("history", {"epoch": pa.int64()})
# one row per explained input (plugen.explain): the counterfactual latent in z; delta_<attr>,
# distance, pixel_mse, nll and other extra columns float32
COUNTERFACTUALS = Contract(
    "counterfactuals",
    {
        "source_id": pa.string(),
        "flipped": pa.bool_(),
        "n_changed": pa.int64(),
        "changed": pa.list_(pa.string()),
        "f_before": pa.float32(),
        "f_after": pa.float32(),
    },
    optional={"image_path": pa.string(), "judged_changed": pa.list_(pa.string())},
    has_z=True,
)


def _arrow_type(contract: Contract, column: str) -> pa.DataType | None:
    if column in contract.required:
        return contract.required[column]
    if column in contract.optional:
        return contract.optional[column]
    if column in contract.one_of:
        return pa.string()
    return pa.float32() if contract.extra_float else None


def schema_for(
    contract: Contract,
    columns: Sequence[str],
    latent_dim: int | None = None,
    frame: pd.DataFrame | None = None,
) -> pa.Schema:
    """The Arrow schema a table with ``columns`` (and optional ``z``) must have."""
    fields = []
    for col in columns:
        typ = _arrow_type(contract, col)
        if typ is None:  # free-form table: infer from the data
            typ = pa.Array.from_pandas(frame[col]).type if frame is not None else pa.string()
        fields.append(pa.field(col, typ))
    if latent_dim is not None:
        fields.append(pa.field("z", pa.list_(pa.float32(), latent_dim)))
    return pa.schema(fields)


def write_table(
    path: str | Path,
    frame: pd.DataFrame,
    contract: Contract,
    z: np.ndarray | None = None,
    z_std: np.ndarray | None = None,
) -> Path:
    """Write ``frame`` (plus latents ``z: (n, d)`` and, where the contract allows, their
    posterior standard deviations ``z_std: (n, d)``, finite and >= 0) to ``path`` under
    ``contract``, atomically. Raises ValueError naming ``path`` for a wrong shape or value."""
    path = Path(path)
    _check_columns(frame.columns, contract, str(path))
    if contract.has_z and z is None and not contract.z_optional:
        raise ValueError(f"{path}: a {contract.name} table needs latents z")
    if z_std is not None:
        if not contract.has_spread:
            raise ValueError(f"{path}: a {contract.name} table has no z_std column")
        z_std = check_spread(np.asarray(z_std, dtype=np.float32), z, f"{path}: z_std")
    latent_dim = None
    arrays = []
    schema = schema_for(contract, list(frame.columns), None, frame)
    for fld in schema:
        col = frame[fld.name]
        if pa.types.is_floating(fld.type) and not pd.api.types.is_numeric_dtype(col):
            raise ValueError(f"{path}: column '{fld.name}' must be numeric, got {col.dtype}")
        arrays.append(pa.Array.from_pandas(col, type=fld.type))
    if z is not None:
        z = np.asarray(z, dtype=np.float32)
        if z.ndim != 2 or len(z) != len(frame):
            raise ValueError(f"{path}: z must have shape ({len(frame)}, d), got {tuple(z.shape)}")
        latent_dim = z.shape[1]
        flat = pa.array(z.reshape(-1), type=pa.float32())
        arrays.append(pa.FixedSizeListArray.from_arrays(flat, latent_dim))
    schema = schema_for(contract, list(frame.columns), latent_dim, frame)
    if z_std is not None:
        flat = pa.array(z_std.reshape(-1), type=pa.float32())
        arrays.append(pa.FixedSizeListArray.from_arrays(flat, latent_dim))
        schema = schema.append(pa.field("z_std", pa.list_(pa.float32(), latent_dim)))
    table = pa.Table.from_arrays(arrays, schema=schema)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)
    return path


def _check_columns(columns: Sequence[str], contract: Contract, where: str) -> None:
    cols = list(columns)
    if "z" in cols:
        raise ValueError(f"{where}: pass latents through the z argument, not a 'z' column")
    missing = [c for c in contract.required if c not in cols]
    if missing:
        raise ValueError(
            f"{where}: missing column(s) {missing} required by the {contract.name} contract"
        )
    n_payload = sum(c in cols for c in contract.one_of)
    if contract.one_of and not (n_payload == 1 or (n_payload == 0 and contract.payload_optional)):
        need = "at most" if contract.payload_optional else "exactly"
        raise ValueError(f"{where}: needs {need} one payload column of {list(contract.one_of)}")
    dupes = sorted({c for c in cols if cols.count(c) > 1})
    if dupes:
        raise ValueError(f"{where}: duplicate column(s) {dupes}")


def read_table(
    path: str | Path,
    contract: Contract,
    columns: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, np.ndarray | None]:
    """Read a table written by :func:`write_table` (or an equivalent writer, see the module
    docstring); check its schema against ``contract`` and convert it to the contract's types.

    Returns ``(frame, z)`` where ``z`` is an ``(n, d)`` float32 array or None. Raises
    ``FileNotFoundError`` / ``ValueError`` naming the file and column on any mismatch.
    """
    frame, z, _ = read_latents(path, contract, columns)
    return frame, z


def read_latents(
    path: str | Path,
    contract: Contract = LATENTS,
    columns: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, np.ndarray | None, np.ndarray | None]:
    """:func:`read_table` that also returns the posterior spread: ``(frame, z, z_std)``, with
    ``z_std`` an ``(n, d)`` float32 array, or None when the table has no ``z_std`` column.

    Raises ValueError naming the file when ``z_std`` is negative, not finite or not of z's shape.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such {contract.name} table")
    try:
        table = pq.read_table(path, columns=list(columns) if columns else None)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ValueError(f"{path}: not a readable Parquet file ({exc})") from None
    table = _drop_pandas_index(table)
    spread = contract.has_spread and "z_std" in table.column_names
    z_std = _latents(table.column("z_std"), path, "z_std") if spread else None
    if spread:
        table = table.drop(["z_std"])
    names = [n for n in table.column_names if n != "z"]
    if columns is None:
        _check_columns(names, contract, str(path))
    for i, fld in enumerate(table.schema):
        if fld.name != "z":
            expected = _arrow_type(contract, fld.name)
            if expected is not None and fld.type != expected:
                column = _conform(table.column(i), expected, contract, fld.name, path)
                table = table.set_column(i, pa.field(fld.name, expected), column)
    if (
        contract.has_z
        and "z" not in table.column_names
        and not contract.z_optional
        and columns is None
    ):
        raise ValueError(f"{path}: missing latent column 'z' ({contract.name} contract)")
    z = None
    if "z" in table.column_names:
        z = _latents(table.column("z"), path)
        table = table.drop(["z"])
    frame = table.to_pandas()
    if "split" in frame.columns:
        bad = sorted(set(frame["split"]) - set(SPLITS))
        if bad:
            raise ValueError(f"{path}: column 'split' has value(s) {bad}, expected {SPLITS}")
    if z_std is not None:
        check_spread(z_std, z, f"{path}: column 'z_std'")
    return frame, z, z_std


def check_spread(z_std: np.ndarray, z: np.ndarray | None, what: str) -> np.ndarray:
    """``z_std`` when it is a posterior spread of the latents ``z``: the same shape, finite and
    >= 0; else ValueError starting with ``what``."""
    if z is None or np.shape(z_std) != np.shape(z):
        shape = None if z is None else np.shape(z)
        raise ValueError(f"{what}: shape {np.shape(z_std)}, the latents have {shape}")
    if not (np.isfinite(z_std).all() and (z_std >= 0).all()):
        raise ValueError(f"{what}: posterior standard deviations must be finite and >= 0")
    return z_std


def _drop_pandas_index(table: pa.Table) -> pa.Table:
    """Drop the index columns ``DataFrame.to_parquet`` stores, and the pandas metadata."""
    meta = table.schema.pandas_metadata or {}
    index = [c for c in meta.get("index_columns", []) if isinstance(c, str)]
    table = table.drop([c for c in index if c in table.column_names])
    return table.replace_schema_metadata(None)


def _conform(
    column: pa.ChunkedArray, expected: pa.DataType, contract: Contract, name: str, path: Path
) -> pa.ChunkedArray:
    """``column`` cast to ``expected`` when its type is an accepted equivalent, else ValueError."""
    typ = column.type
    if pa.types.is_dictionary(typ):
        column, typ = column.cast(typ.value_type), typ.value_type
    problem = (
        f"{path}: column '{name}' has type {typ}, expected {expected} ({contract.name} contract)"
    )
    if pa.types.is_string(expected) and (pa.types.is_large_string(typ) or typ == expected):
        return column.cast(expected)
    if pa.types.is_floating(expected) and (pa.types.is_floating(typ) or pa.types.is_null(typ)):
        return column.cast(expected)
    if pa.types.is_floating(expected) and pa.types.is_integer(typ):
        cast = column.cast(expected, safe=False)
        if pc.all(pc.equal(cast.cast(typ, safe=False), column)).as_py() not in (True, None):
            raise ValueError(f"{problem}: some integers are not exactly representable")
        return cast
    if pa.types.is_integer(expected) and pa.types.is_integer(typ):
        try:
            return column.cast(expected)
        except pa.ArrowInvalid:
            raise ValueError(f"{problem}: some values do not fit") from None
    raise ValueError(problem)


def _latents(column: pa.ChunkedArray, path: Path, name: str = "z") -> np.ndarray:
    """A list column of floats whose rows share one length -> float32 ``(n, d)``."""
    typ = column.type
    is_list = (
        pa.types.is_fixed_size_list(typ) or pa.types.is_list(typ) or pa.types.is_large_list(typ)
    )
    if not (is_list and pa.types.is_floating(typ.value_type)):
        raise ValueError(
            f"{path}: column '{name}' has type {typ}, expected fixed_size_list<float32>[d] "
            "(or a list of floats with one length per row)"
        )
    z = column.combine_chunks()
    if z.null_count:
        raise ValueError(f"{path}: column '{name}' has {z.null_count} missing row(s)")
    if pa.types.is_fixed_size_list(typ):
        d = typ.list_size
    else:
        lengths = pc.list_value_length(z)
        lo, hi = (pc.min(lengths).as_py() or 0), (pc.max(lengths).as_py() or 0)
        if lo != hi:
            raise ValueError(
                f"{path}: column '{name}' has rows of lengths {lo} to {hi}, expected one length"
            )
        d = lo
    values = z.flatten().cast(pa.float32()).to_numpy(zero_copy_only=False)
    return values.reshape(len(z), d).astype(np.float32, copy=False)


def attribute_columns(frame: pd.DataFrame, contract: Contract) -> list[str]:
    """The float attribute columns of a dataset/latents table (everything not structural)."""
    structural = set(contract.required) | set(contract.optional) | set(contract.one_of)
    return [c for c in frame.columns if c not in structural and c != "z"]


# ---------------------------------------------------------------------------- images
_SAFE = re.compile(r"[^A-Za-z0-9._-]")


def write_images(images: np.ndarray, directory: str | Path, names: Sequence[str]) -> list[str]:
    """Save uint8 images ``(n, H, W, 3)`` as PNG files in ``directory``.

    Returns paths relative to ``directory.parent`` (the folder of the table that lists them).
    """
    from PIL import Image

    directory = Path(directory)
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(
            f"{directory}: images must be uint8 (n, H, W, 3), got {images.dtype} {images.shape}"
        )
    if len(names) != len(images):
        raise ValueError(f"{directory}: {len(names)} names for {len(images)} images")
    directory.mkdir(parents=True, exist_ok=True)
    rel = []
    for img, name in zip(images, names):
        fname = _SAFE.sub("_", str(name)) + ".png"
        Image.fromarray(img).save(directory / fname)
        rel.append(f"{directory.name}/{fname}")
    return rel


def split_images(table: str | Path, split: str = "test") -> np.ndarray:
    """uint8 images ``(n, H, W, 3)`` of one ``split`` of an image dataset table (``DATASET``
    contract, paths relative to its folder), in table order."""
    frame, _ = read_table(table, DATASET)
    rows = frame[frame["split"] == split]
    return read_images(rows["image_path"], Path(table).parent)


def read_images(paths: Sequence[str], root: str | Path) -> np.ndarray:
    """Load images listed in a table as uint8 ``(n, H, W, 3)``, in the order of ``paths``.

    ``paths`` are relative to ``root`` (the table's folder) and each is a PNG file or a row of a
    uint8 ``.npy`` shard ``(k, H, W, 3)`` written as ``"images/shard_000.npy#123"`` (a shard is
    opened once, memory-mapped). Raises ``FileNotFoundError`` naming a missing file and
    ``ValueError`` for a ``#`` path that is not ``file.npy#index`` or whose index is past the
    shard's length.
    """
    from PIL import Image

    root = Path(root)
    shards: dict[Path, np.ndarray] = {}
    out = []
    for p in paths:
        if "#" in str(p):
            out.append(_shard_row(p, root, shards, "image"))
            continue
        f = root / str(p)
        if not f.is_file():
            raise FileNotFoundError(f"{f}: image listed in the table is missing")
        out.append(np.asarray(Image.open(f).convert("RGB")))
    if not out:
        return np.zeros((0, 0, 0, 3), dtype=np.uint8)
    return np.stack(out).astype(np.uint8, copy=False)


def _shard_row(path: str, root: Path, shards: dict[Path, np.ndarray], what: str) -> np.ndarray:
    """Row ``index`` of the ``.npy`` shard named by ``"folder/shard.npy#index"`` (relative to
    ``root``); each shard is opened once, memory-mapped, and kept in ``shards``."""
    name, _, idx = str(path).rpartition("#")
    if not name.endswith(".npy") or not idx.isdigit():
        raise ValueError(f"{what} path {path!r}: expected 'shard_NNN.npy#index'")
    f = root / name
    if f not in shards:
        if not f.is_file():
            raise FileNotFoundError(f"{f}: {what} shard listed in the table is missing")
        shards[f] = np.load(f, mmap_mode="r")
    if int(idx) >= len(shards[f]):
        raise ValueError(f"{f}: has {len(shards[f])} {what}s, table asks for #{idx}")
    return np.asarray(shards[f][int(idx)])


def write_clouds(clouds: np.ndarray, directory: str | Path, name: str = "clouds") -> list[str]:
    """Save point clouds ``(n, P, 3)`` as one float32 shard ``directory/<name>.npy``
    (atomically). Returns the rows' paths ``"<directory name>/<name>.npy#i"``, relative to
    ``directory.parent`` (the folder of the table that lists them)."""
    directory = Path(directory)
    clouds = np.asarray(clouds)
    if clouds.ndim != 3 or clouds.shape[-1] != 3:
        raise ValueError(f"{directory}: clouds must be (n, P, 3), got {clouds.shape}")
    directory.mkdir(parents=True, exist_ok=True)
    with atomic_path(directory / f"{name}.npy") as tmp, open(tmp, "wb") as f:
        np.save(f, clouds.astype(np.float32))
    return [f"{directory.name}/{name}.npy#{i}" for i in range(len(clouds))]


def read_clouds(paths: Sequence[str], root: str | Path) -> np.ndarray:
    """Load point clouds listed in a table (``cloud_path``: ``"folder/shard.npy#i"`` relative
    to ``root``) as float32 ``(n, P, 3)``, in the order of ``paths``. Raises
    ``FileNotFoundError`` naming a missing shard, ``ValueError`` for a malformed path, an index
    past the shard's end or clouds of different sizes."""
    shards: dict[Path, np.ndarray] = {}
    out = [_shard_row(p, Path(root), shards, "cloud") for p in paths]
    if not out:
        return np.zeros((0, 0, 3), dtype=np.float32)
    sizes = {c.shape for c in out}
    if len(sizes) > 1:
        raise ValueError(f"{root}: the listed clouds have different shapes {sorted(sizes)}")
    return np.stack(out).astype(np.float32, copy=False)
