"""Molecules: MOSES/ZINC SMILES, RDKit labels (logP, TPSA, SAS) and splits.

The MOSES training set is read out of the pinned ``molsets`` wheel from PyPI (hash-checked,
nothing installed); a ZINC250k csv supplied by the user works the same way. Every molecule
that is dropped (unparsable, too long, duplicate) is counted in a :class:`LabelingReport`.
"""

from __future__ import annotations

import gzip
import logging
import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd

from plugen.atomic import atomic_write_bytes
from plugen.wheels import fetch_wheel, load_wheel_meta, read_member

log = logging.getLogger(__name__)

PROPERTIES = ("logP", "TPSA", "SAS")
# PluGeN's label kinds (the molecules experiment's spec reads this dict)
LABELS = {p: "continuous" for p in PROPERTIES}
# package data next to this module (pyproject.toml [tool.setuptools.package-data])
DEFAULT_WHEEL_META = files(__package__) / "moses_wheel.json"
_SMILES_COLUMNS = ("SMILES", "smiles", "Smiles")


# --------------------------------------------------------------------------- MOSES download
def fetch_moses_csv(
    dest_csv: str | Path, wheel_dir: str | Path, meta: str | Path | dict | None = None
) -> Path:
    """Write the MOSES training csv (column ``SMILES``) to ``dest_csv``.

    The pinned ``molsets`` wheel (``meta``: dict or path; default: the packaged
    ``moses_wheel.json`` beside this module) comes from :func:`plugen.wheels.fetch_wheel`
    (``pip download --no-deps`` when not in ``wheel_dir`` yet, sha256 checked); only the csv
    member is extracted. ``dest_csv`` ending in ``.gz`` keeps the gzip bytes, otherwise the csv
    is decompressed. Raises RuntimeError when pip fails (no network) and ValueError on a hash
    mismatch.
    """
    meta, _ = load_wheel_meta(meta if meta is not None else Path(str(DEFAULT_WHEEL_META)))
    wheel = fetch_wheel(meta, wheel_dir)
    data = read_member(wheel, meta["member"])
    dest_csv = Path(dest_csv)
    if dest_csv.suffix != ".gz":
        data = gzip.decompress(data)
    atomic_write_bytes(dest_csv, data)
    log.info("wrote %s (%d bytes) from %s", dest_csv, len(data), wheel.name)
    return dest_csv


# --------------------------------------------------------------------------- reading
@dataclass
class SmilesRead:
    """SMILES read from a csv: kept strings plus the counts of what was left out."""

    smiles: list[str]
    column: str
    n_rows: int
    n_empty: int = 0
    n_too_long: int = 0


def read_smiles_csv(
    path: str | Path,
    column: str | None = None,
    limit: int | None = None,
    seed: int = 0,
    max_length: int | None = None,
) -> SmilesRead:
    """Read a SMILES column from a csv or csv.gz (``SMILES``/``smiles`` found automatically).

    Strings are stripped (ZINC250k stores a newline inside the quotes); empty ones and those
    longer than ``max_length`` characters are counted and logged, then a seeded random subset
    of ``limit`` rows is kept (in file order). Raises ValueError, naming the file, when it is
    empty or has no SMILES column (the message lists the columns found).
    """
    path = Path(path)
    try:
        header = pd.read_csv(path, nrows=0).columns
    except pd.errors.EmptyDataError:
        raise ValueError(
            f"{path}: the file is empty, expected a csv with a SMILES column"
        ) from None
    if column is None:
        column = next((c for c in _SMILES_COLUMNS if c in header), None)
        if column is None:
            raise ValueError(
                f"{path}: no SMILES column among {list(header)[:10]}; expected one of "
                f"{list(_SMILES_COLUMNS)} or pass column=..."
            )
    elif column not in header:
        raise ValueError(f"{path}: column {column!r} not found; columns are {list(header)[:10]}")
    raw = pd.read_csv(path, usecols=[column], dtype={column: str})[column]
    smiles = raw.fillna("").str.strip()
    n_rows = len(smiles)
    empty = smiles.str.len() == 0
    too_long = ~empty & (smiles.str.len() > (max_length or np.inf))
    keep = smiles[~empty & ~too_long].to_numpy()
    if limit is not None and limit < len(keep):
        rng = np.random.default_rng(seed)
        keep = keep[np.sort(rng.choice(len(keep), size=limit, replace=False))]
    out = SmilesRead(list(keep), column, n_rows, int(empty.sum()), int(too_long.sum()))
    log.info(
        "%s: %d rows, %d empty, %d longer than %s characters, kept %d",
        path,
        n_rows,
        out.n_empty,
        out.n_too_long,
        max_length,
        len(out.smiles),
    )
    return out


# --------------------------------------------------------------------------- labelling
@lru_cache(maxsize=1)
def _sascorer():
    """RDKit Contrib SA_Score module (imported from the RDKit installation, not copied)."""
    from rdkit import RDConfig

    sa_dir = os.path.join(RDConfig.RDContribDir, "SA_Score")
    if sa_dir not in sys.path:
        sys.path.append(sa_dir)
    import sascorer

    if getattr(sascorer, "_fscores", None) is None:
        sascorer.readFragmentScores()  # load once, before workers fork
    return sascorer


def mol_from_smiles(smiles: str):
    """RDKit molecule, or None for an empty or unparsable string (RDKit's log is silenced)."""
    from rdkit import Chem, rdBase

    if not isinstance(smiles, str) or not smiles.strip():
        return None
    with rdBase.BlockLogs():
        mol = Chem.MolFromSmiles(smiles)
    return mol if mol is not None and mol.GetNumAtoms() > 0 else None


def canonical_smiles(smiles: str) -> str | None:
    """RDKit canonical SMILES, or None when ``smiles`` does not parse."""
    from rdkit import Chem

    mol = mol_from_smiles(smiles)
    return None if mol is None else Chem.MolToSmiles(mol)


def _label_chunk(chunk: Sequence[str]) -> list[tuple[str | None, float, float, float]]:
    from rdkit.Chem import Crippen, MolToSmiles, rdMolDescriptors

    sascorer = _sascorer()
    rows = []
    for s in chunk:
        mol = mol_from_smiles(s)
        if mol is None:
            rows.append((None, np.nan, np.nan, np.nan))
            continue
        rows.append(
            (
                MolToSmiles(mol),
                Crippen.MolLogP(mol),
                rdMolDescriptors.CalcTPSA(mol),
                sascorer.calculateScore(mol),
            )
        )
    return rows


def compute_properties(
    smiles: Sequence[str],
    processes: int = 1,
    progress: bool = False,
    chunk_size: int | None = None,
) -> pd.DataFrame:
    """RDKit properties of each SMILES, aligned with the input (NaN where it does not parse).

    Returns columns ``canonical`` (str or None), ``logP`` (Crippen), ``TPSA`` (Ertl, A^2) and
    ``SAS`` (Ertl-Schuffenhauer synthetic accessibility, 1 easy .. 10 hard), float32.
    ``processes`` > 1 labels chunks in a multiprocessing pool (order preserved). The pool is
    forked once after the SA_Score fragment table is loaded, so workers import nothing per
    task; ``chunk_size`` (default: about 16 chunks per process, 64..4096 molecules) keeps the
    per-task overhead (pickling, queue round trips) negligible next to RDKit's work.
    """
    if processes < 1:
        raise ValueError(f"processes must be >= 1, got {processes}")
    smiles = list(smiles)
    if chunk_size is None:
        chunk_size = min(4096, max(64, -(-len(smiles) // (16 * processes))))
    chunks = [smiles[i : i + chunk_size] for i in range(0, len(smiles), chunk_size)]
    _sascorer()
    from rdkit.Chem import Crippen, rdMolDescriptors  # noqa: F401 - imported before the fork

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(smiles), desc="RDKit labels", mininterval=2.0, leave=False)
    rows: list[tuple] = []
    pool = multiprocessing.Pool(processes) if processes > 1 and len(chunks) > 1 else None
    try:
        results = pool.imap(_label_chunk, chunks) if pool else map(_label_chunk, chunks)
        for part in results:
            rows.extend(part)
            if bar is not None:
                bar.update(len(part))
    finally:
        if pool is not None:
            pool.close()
            pool.join()
        if bar is not None:
            bar.close()
    df = pd.DataFrame(rows, columns=["canonical", *PROPERTIES])
    return df.astype({p: np.float32 for p in PROPERTIES})


@dataclass
class LabelingReport:
    """What happened to the input molecules (nothing is dropped silently).

    ``n_input = n_valid + n_invalid + n_too_long + n_duplicate + n_not_sampled +
    n_not_encodable``, where ``n_valid`` counts the molecules kept (parsed, short enough, first
    of their canonical form, encodable by the backbone) and ``n_not_encodable`` those the
    backbone cannot encode (the JT-VAE: clusters outside its vocabulary; 0 for the CharVAE).
    """

    n_input: int
    n_valid: int
    n_invalid: int
    n_too_long: int = 0
    n_duplicate: int = 0
    n_not_sampled: int = 0
    n_not_encodable: int = 0
    invalid_examples: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """One-row table ``labeling_report`` (examples joined with spaces)."""
        row = asdict(self)
        row["invalid_examples"] = " ".join(self.invalid_examples)
        return pd.DataFrame([row])


def label_molecules(
    smiles: Sequence[str],
    processes: int = 1,
    progress: bool = False,
    *,
    max_length: int | None = None,
    n_examples: int = 10,
) -> tuple[pd.DataFrame, LabelingReport]:
    """Canonicalize and label SMILES with logP, TPSA and SAS.

    Unparsable SMILES, canonical SMILES longer than ``max_length`` characters and repeats of a
    canonical SMILES are removed, counted and logged in the report. Returns (DataFrame with
    ``id`` (``mol<index in input>``), ``smiles`` (canonical), ``logP``, ``TPSA``, ``SAS``
    float32; report).
    """
    props = compute_properties(smiles, processes, progress)
    parsed = props["canonical"].notna().to_numpy()
    too_long = parsed & (props["canonical"].str.len() > (max_length or np.inf)).to_numpy()
    duplicate = parsed & ~too_long & props["canonical"].where(~too_long).duplicated().to_numpy()
    keep = parsed & ~too_long & ~duplicate
    df = props[keep].rename(columns={"canonical": "smiles"})
    df.insert(0, "id", [f"mol{i:07d}" for i in np.flatnonzero(keep)])
    report = LabelingReport(
        n_input=len(props),
        n_valid=int(keep.sum()),
        n_invalid=int((~parsed).sum()),
        n_too_long=int(too_long.sum()),
        n_duplicate=int(duplicate.sum()),
        invalid_examples=[s for s, ok in zip(smiles, parsed) if not ok][:n_examples],
    )
    log.info("labelled molecules: %s", report)
    if report.n_invalid:
        log.warning(
            "%d SMILES did not parse, e.g. %s", report.n_invalid, report.invalid_examples[:3]
        )
    return df.reset_index(drop=True), report


def assign_splits(
    df: pd.DataFrame, val_fraction: float = 0.1, test_fraction: float = 0.1, seed: int = 0
) -> pd.DataFrame:
    """Copy of ``df`` with a seeded random ``split`` column (``train``/``val``/``test``)."""
    if not (0 <= val_fraction < 1 and 0 <= test_fraction < 1 and val_fraction + test_fraction < 1):
        raise ValueError(
            f"val_fraction={val_fraction} and test_fraction={test_fraction} must be in [0, 1) "
            "and sum to less than 1"
        )
    n = len(df)
    n_val, n_test = int(round(n * val_fraction)), int(round(n * test_fraction))
    split = np.full(n, "train", dtype=object)
    order = np.random.default_rng(seed).permutation(n)
    split[order[:n_val]] = "val"
    split[order[n_val : n_val + n_test]] = "test"
    out = df.copy()
    out["split"] = split
    return out


def prepare_molecules(
    csv_path: str | Path,
    *,
    limit: int | None = None,
    max_length: int | None = 60,
    val_fraction: float = 0.1,
    test_fraction: float = 0.1,
    seed: int = 0,
    processes: int = 1,
    column: str | None = None,
    progress: bool = False,
    not_encodable: Callable[[list[str], int], dict[int, tuple[str, str]]] | None = None,
) -> tuple[pd.DataFrame, LabelingReport]:
    """csv -> labelled data set (``id``, ``split``, ``smiles``, logP, TPSA, SAS) and its report.

    Chains :func:`read_smiles_csv`, :func:`label_molecules` and :func:`assign_splits`; the
    report's ``n_input`` counts csv rows, ``n_invalid`` empty and unparsable SMILES,
    ``n_too_long`` both length checks (raw and canonical) and ``n_not_sampled`` the rows left
    out by ``limit``. ``not_encodable(canonical smiles, processes)`` -> {index: (kind, reason)}
    names the labelled molecules the backbone cannot encode (the JT-VAE's
    :func:`plugen.experiments.molecules.jtvae.not_encodable`): they are left out before the
    splits, counted in ``n_not_encodable`` and logged by kind with examples. Raises ValueError
    naming the file when it has no SMILES column or no valid molecule (a header alone, every
    row invalid, too long or not encodable).
    """
    read = read_smiles_csv(csv_path, column, limit, seed, max_length)
    df, report = label_molecules(read.smiles, processes, progress, max_length=max_length)
    n_pool = read.n_rows - read.n_empty - read.n_too_long
    report.n_input = read.n_rows
    report.n_invalid += read.n_empty
    report.n_too_long += read.n_too_long
    report.n_not_sampled = n_pool - len(read.smiles)
    if not_encodable is not None and len(df):
        problems = not_encodable(df["smiles"].tolist(), processes)
        if problems:
            kinds: dict[str, int] = {}
            for kind, _ in problems.values():
                kinds[kind] = kinds.get(kind, 0) + 1
            log.warning(
                "%d of %d molecules cannot be encoded by the backbone (%s), left out; e.g. %s",
                len(problems),
                len(df),
                kinds,
                [why for _, why in list(problems.values())[:3]],
            )
            df = df.drop(index=df.index[sorted(problems)]).reset_index(drop=True)
        report.n_not_encodable = len(problems)
        report.n_valid = len(df)
    if report.n_valid == 0:
        longer = f", {report.n_too_long} longer than {max_length} characters"
        unencodable = f", {report.n_not_encodable} not encodable by the backbone"
        raise ValueError(
            f"no valid molecule in {csv_path}: {report.n_input} rows, "
            f"{report.n_invalid} invalid SMILES{longer if report.n_too_long else ''}"
            f"{unencodable if report.n_not_encodable else ''}"
            + (f" (e.g. {report.invalid_examples[:3]})" if report.invalid_examples else "")
        )
    df = assign_splits(df, val_fraction, test_fraction, seed)
    return df[["id", "split", "smiles", *PROPERTIES]], report
