"""Chemistry metrics for generated SMILES: validity, uniqueness, novelty, property shift,
Tanimoto similarity to a seed molecule and the Frechet ChemNet Distance (``fcd-torch``).

Properties come from :func:`plugen.experiments.molecules.data.compute_properties`, the same
labeller that made the data set, so generated and training values are comparable.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from plugen.experiments.molecules.data import canonical_smiles, compute_properties, mol_from_smiles

log = logging.getLogger(__name__)


def canonicalize(smiles: Sequence[str]) -> list[str | None]:
    """Canonical SMILES of each string, None where it does not parse."""
    return [canonical_smiles(s) for s in smiles]


def valid_mask(smiles: Sequence[str]) -> np.ndarray:
    """Boolean array ``(n,)``: True where RDKit parses the SMILES into a non-empty molecule."""
    return np.array([mol_from_smiles(s) is not None for s in smiles], dtype=bool)


def validity(smiles: Sequence[str]) -> float:
    """Fraction of SMILES that RDKit parses (empty strings are invalid); NaN for no input."""
    return float(valid_mask(smiles).mean()) if len(smiles) else float("nan")


def _unique_valid(smiles: Sequence[str]) -> set[str]:
    return {c for c in canonicalize(smiles) if c is not None}


def uniqueness(smiles: Sequence[str]) -> float:
    """Distinct canonical molecules / valid molecules (NaN when none is valid)."""
    n_valid = int(valid_mask(smiles).sum())
    return len(_unique_valid(smiles)) / n_valid if n_valid else float("nan")


def novelty(smiles: Sequence[str], training_smiles: Sequence[str] | set[str]) -> float:
    """Fraction of the distinct valid generated molecules absent from the training set.

    Both sides are canonicalized, so differently written SMILES of one molecule match; a
    ``set`` is taken as already canonical (pass one to score many groups against a large set).
    """
    generated = _unique_valid(smiles)
    if not generated:
        return float("nan")
    known = training_smiles if isinstance(training_smiles, set) else _unique_valid(training_smiles)
    return len(generated - known) / len(generated)


def target_shift(values: np.ndarray, dataset_mean: float, target: float) -> float:
    """How far the generated mean moved towards the target: 0 = no shift, 1 = reached.

    ``(nanmean(values) - dataset_mean) / (target - dataset_mean)``; NaN (invalid molecules)
    are ignored. Raises ValueError when the target equals the data set mean.
    """
    if np.isclose(target, dataset_mean):
        raise ValueError(f"target {target} equals the data set mean; the shift is undefined")
    values = np.asarray(values, dtype=np.float64)
    if not np.isfinite(values).any():
        return float("nan")
    return float((np.nanmean(values) - dataset_mean) / (target - dataset_mean))


def tanimoto_to_seed(
    smiles: Sequence[str], seed_smiles: str, radius: int = 2, n_bits: int = 2048
) -> np.ndarray:
    """Tanimoto similarity ``(n,)`` of Morgan fingerprints to ``seed_smiles`` (NaN if invalid)."""
    from rdkit import DataStructs
    from rdkit.Chem import rdFingerprintGenerator

    gen = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)
    seed_mol = mol_from_smiles(seed_smiles)
    if seed_mol is None:
        raise ValueError(f"seed molecule {seed_smiles!r} is not a valid SMILES")
    seed_fp = gen.GetFingerprint(seed_mol)
    out = np.full(len(smiles), np.nan)
    for i, s in enumerate(smiles):
        mol = mol_from_smiles(s)
        if mol is not None:
            out[i] = DataStructs.TanimotoSimilarity(seed_fp, gen.GetFingerprint(mol))
    return out


def chemnet_features(
    smiles: Sequence[str], device: str = "cpu", batch_size: int = 512
) -> np.ndarray:
    """ChemNet penultimate activations ``(n, 512)`` of valid SMILES (weights ship with fcd-torch).

    Raises ImportError when ``fcd-torch`` is not installed.
    """
    from fcd_torch import FCD

    with warnings.catch_warnings():  # fcd-torch calls numpy aliases that are now deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        return FCD(device=device, n_jobs=1, batch_size=batch_size).get_predictions(list(smiles))


def fcd(
    generated: Sequence[str], reference: Sequence[str], device: str = "cpu", batch_size: int = 512
) -> dict[str, float | int | str]:
    """Frechet ChemNet Distance between generated and reference SMILES (lower is closer).

    Invalid SMILES are removed first and counted. Returns ``fcd`` (NaN when it cannot be
    computed: ``fcd-torch`` missing or fewer than 2 valid molecules on a side, the reason in
    ``fcd_note``), ``fcd_n_generated`` (valid ones used) and ``fcd_n_removed``.
    """
    return fcd_groups({"": generated}, reference, device, batch_size)[""]


def fcd_groups(
    groups: Mapping[str, Sequence[str]],
    reference: Sequence[str],
    device: str = "cpu",
    batch_size: int = 512,
) -> dict[str, dict[str, float | int | str]]:
    """:func:`fcd` of several generated sets against one reference (its ChemNet features are
    computed once). Returns ``{group: fcd row}``."""
    from plugen.evaluate.fid import fid_from_features  # torch: only the FCD job pays for it

    ref_ok = [s for s in reference if mol_from_smiles(s) is not None]
    if len(reference) != len(ref_ok):
        log.warning("FCD: removed %d invalid reference SMILES", len(reference) - len(ref_ok))
    ref_feats, note = None, ""
    out = {}
    for name, generated in groups.items():
        gen_ok = [s for s in generated if mol_from_smiles(s) is not None]
        row: dict[str, float | int | str] = {
            "fcd": float("nan"),
            "fcd_n_generated": len(gen_ok),
            "fcd_n_removed": len(generated) - len(gen_ok),
            "fcd_note": note,
        }
        if row["fcd_n_removed"]:
            log.info("FCD %s: removed %d invalid generated SMILES", name, row["fcd_n_removed"])
        if not note and min(len(gen_ok), len(ref_ok)) < 2:
            row["fcd_note"] = "fewer than 2 valid molecules"
        elif not note:
            try:
                if ref_feats is None:
                    ref_feats = chemnet_features(ref_ok, device, batch_size)
                gen_feats = chemnet_features(gen_ok, device, batch_size)
            except ImportError as err:
                note = row["fcd_note"] = f"fcd-torch unavailable ({err}); pip install fcd-torch"
            else:
                row["fcd"] = fid_from_features(gen_feats, ref_feats)
        if row["fcd_note"]:
            log.warning("FCD %s is NaN: %s", name, row["fcd_note"])
        out[name] = row
    return out


def generation_metrics(
    generated: Sequence[str],
    training_smiles: Sequence[str],
    reference: Sequence[str] | None = None,
    device: str = "cpu",
) -> dict[str, float | int | str]:
    """Validity, uniqueness, novelty and (with ``reference``) FCD of generated SMILES, one row."""
    row: dict[str, float | int | str] = {
        "n": len(generated),
        "validity": validity(generated),
        "uniqueness": uniqueness(generated),
        "novelty": novelty(generated, training_smiles),
    }
    if reference is not None:
        row.update(fcd(generated, reference, device=device))
    return row


def property_frame(smiles: Sequence[str], processes: int = 1) -> pd.DataFrame:
    """Properties aligned with ``smiles``: ``valid`` (bool), logP, TPSA, SAS (NaN if invalid)."""
    df = compute_properties(smiles, processes)
    df.insert(0, "valid", df.pop("canonical").notna())
    return df
