"""The molecule experiment's tasks (paper Figures 7-8 analogues), as pure steps.

Targeted generation: one property set to a target value at a time (the others and the style
sampled), plus an unconditional group as the baseline; scored by the RDKit labeller that made
the data set. Lead optimization: a seed molecule's label coordinate of one property is raised
step by step (standardized units) and every step is decoded and compared with the seed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from plugen.experiments.molecules.chem import (
    canonicalize,
    fcd_groups,
    novelty,
    property_frame,
    tanimoto_to_seed,
    target_shift,
    uniqueness,
    valid_mask,
)
from plugen.experiments.molecules.data import PROPERTIES

if TYPE_CHECKING:  # the model (and torch) only for hints: scoring jobs stay torch-free
    from plugen.model import PluGeN

UNCONDITIONAL = "unconditional"


def _group(prop: str, value: float) -> str:
    return f"{prop}={value:g}"


def generation_requests(
    targets: Mapping[str, Sequence[float]], n_per_target: int, unconditional: bool = True
) -> pd.DataFrame:
    """Request table: ``n_per_target`` rows per (property, target value), one property set at
    a time (``target_<p>`` NaN = sampled), plus an ``unconditional`` group when asked.

    Raises ValueError for a property that is not one of :data:`PROPERTIES`.
    """
    unknown = sorted(set(targets) - set(PROPERTIES))
    if unknown:
        raise ValueError(f"targets: unknown property(ies) {unknown}; known: {list(PROPERTIES)}")
    groups = [(_group(p, v), {p: float(v)}) for p, vals in targets.items() for v in vals]
    if unconditional:
        groups.append((UNCONDITIONAL, {}))
    rows = []
    for name, values in groups:
        for i in range(n_per_target):
            row = {f"target_{p}": values.get(p, np.nan) for p in PROPERTIES}
            rows.append({"sample_id": f"gen_{name}_{i}", "group": name, **row})
    frame = pd.DataFrame(rows)
    return frame.astype({f"target_{p}": np.float32 for p in PROPERTIES})


def decoded_labels(
    decode: Callable[[np.ndarray], list[str]], z: np.ndarray, processes: int = 1
) -> pd.DataFrame:
    """Properties of the molecules the backbone decodes from latents ``z: (n, d)``.

    Returns the aligned :func:`plugen.experiments.molecules.chem.property_frame` (``valid``,
    logP, TPSA, SAS; NaN where the decoding is not a valid molecule, i.e. an unknown label for
    PluGeN).
    Training the flow on these labels (as the paper labels StyleGAN samples by what the
    generator draws) ties each label coordinate to what the decoder produces, not to the
    molecule that was encoded, which the backbone reconstructs only approximately.
    """
    return property_frame(decode(np.asarray(z, dtype=np.float32)), processes)


def score_generation(
    samples: pd.DataFrame,
    measured: pd.DataFrame,
    dataset: pd.DataFrame,
) -> pd.DataFrame:
    """Metrics per generation group: one row per (group, property).

    samples: request table with ``group``, ``target_<p>`` and ``smiles``; measured: aligned
    output of :func:`plugen.experiments.molecules.chem.property_frame` (``valid``, logP, TPSA, SAS);
    dataset: labelled data set (``split``, ``smiles``, properties): its train split gives the
    dataset mean and the novelty reference. Rows: for a target group its requested property,
    for the unconditional group every property. Columns: ``group``, ``property``, ``target``,
    ``n``, ``validity``, ``uniqueness``, ``novelty``, ``mean``, ``std``, ``dataset_mean``,
    ``target_shift`` ((mean - dataset mean) / (target - dataset mean)) and
    ``shift_vs_unconditional`` (the same with the unconditional samples' mean as the start).
    """
    train = dataset[dataset["split"] == "train"]
    train_smiles = {c for c in canonicalize(train["smiles"].tolist()) if c is not None}
    base = {p: float(train[p].mean()) for p in PROPERTIES}
    uncond = samples["group"] == UNCONDITIONAL
    base_gen = {
        p: float(np.nanmean(measured.loc[uncond.to_numpy(), p])) if uncond.any() else np.nan
        for p in PROPERTIES
    }
    rows = []
    for name, idx in samples.groupby("group", sort=False).groups.items():
        part, props = samples.loc[idx], measured.loc[idx]
        smiles = part["smiles"].tolist()
        common = {
            "group": name,
            "n": len(part),
            "validity": float(valid_mask(smiles).mean()),
            "uniqueness": uniqueness(smiles),
            "novelty": novelty(smiles, train_smiles),
        }
        requested = [p for p in PROPERTIES if part[f"target_{p}"].notna().any()]
        for p in requested or PROPERTIES:
            target = float(part[f"target_{p}"].iloc[0]) if requested else np.nan
            values = props[p].to_numpy(dtype=np.float64)
            row = {
                **common,
                "property": p,
                "target": target,
                "mean": float(np.nanmean(values)) if np.isfinite(values).any() else np.nan,
                "std": float(np.nanstd(values)) if np.isfinite(values).any() else np.nan,
                "dataset_mean": base[p],
                "target_shift": np.nan,
                "shift_vs_unconditional": np.nan,
            }
            if requested:
                row["target_shift"] = target_shift(values, base[p], target)
                if np.isfinite(base_gen[p]) and not np.isclose(target, base_gen[p]):
                    row["shift_vs_unconditional"] = target_shift(values, base_gen[p], target)
            rows.append(row)
    cols = ["group", "property", "target", "n", "validity", "uniqueness", "novelty", "mean"]
    cols += ["std", "dataset_mean", "target_shift", "shift_vs_unconditional"]
    return pd.DataFrame(rows)[cols]


def fcd_table(
    samples: pd.DataFrame,
    reference: Sequence[str],
    baseline: Sequence[str] | None = None,
    device: str = "cpu",
) -> pd.DataFrame:
    """FCD of every generation group against ``reference`` (held-out molecules).

    ``baseline``: other held-out molecules, scored the same way as a floor for this sample size
    (row ``held-out``). Columns: ``group``, ``fcd``, ``fcd_n_generated``, ``fcd_n_removed``
    (invalid SMILES filtered out first), ``fcd_note``.
    """
    groups = {name: part["smiles"].tolist() for name, part in samples.groupby("group", sort=False)}
    if baseline is not None:
        groups["held-out"] = list(baseline)
    rows = fcd_groups(groups, reference, device=device)
    return pd.DataFrame([{"group": name, **row} for name, row in rows.items()])


def lead_optimization(
    model: PluGeN,
    decode: Callable[[np.ndarray], list[str]],
    seeds: Sequence[str],
    seed_z: np.ndarray,
    attribute: str = "logP",
    max_delta: float = 3.0,
    n_steps: int = 7,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Raise ``attribute``'s label coordinate of each seed gradually and decode every step.

    seeds: SMILES ``(m,)``; seed_z: their backbone latents ``(m, d)``; decode: latents ``(n, d)``
    -> SMILES. Step k adds ``k * max_delta / (n_steps - 1)`` standardized units to the seed's
    coordinate (step 0 is the unchanged latent, i.e. the backbone's reconstruction). Returns
    (one row per seed and step: ``sample_id``, ``source_id`` (``seed<i>``), ``seed_smiles``,
    ``step``, ``delta``, ``smiles``, ``valid``, the measured ``attribute``, ``tanimoto`` to the
    seed; latents ``(m * n_steps, d)`` in the same order).
    """
    if attribute not in model.attributes:
        raise ValueError(f"attribute {attribute!r} is not one of {model.attributes}")
    if n_steps < 2:
        raise ValueError(f"n_steps must be >= 2, got {n_steps}")
    j = model.attributes.index(attribute)
    c, s = model.encode(np.asarray(seed_z, dtype=np.float32))
    deltas = np.linspace(0.0, max_delta, n_steps)
    zs = []
    for delta in deltas:
        cv = c.copy()
        cv[:, j] += delta
        zs.append(model.decode(cv, s))
    z = np.stack(zs, 1).reshape(len(seeds) * n_steps, -1)  # seed-major, then step
    rows = [
        {
            "sample_id": f"lead{i}_step{k}",
            "source_id": f"seed{i}",
            "seed_smiles": seeds[i],
            "step": k,
            "delta": float(deltas[k]),
        }
        for i in range(len(seeds))
        for k in range(n_steps)
    ]
    frame = pd.DataFrame(rows)
    frame["smiles"] = decode(z)
    props = property_frame(frame["smiles"].tolist())
    frame["valid"] = props["valid"].to_numpy()
    frame[attribute] = props[attribute].to_numpy()
    frame["tanimoto"] = np.nan
    for i, smi in enumerate(seeds):
        mask = (frame["source_id"] == f"seed{i}").to_numpy()
        frame.loc[mask, "tanimoto"] = tanimoto_to_seed(frame.loc[mask, "smiles"].tolist(), smi)
    return frame, z


def pick_seeds(dataset: pd.DataFrame, seeds: Sequence[str], n_seeds: int, seed: int) -> list[str]:
    """The configured seed SMILES, or ``n_seeds`` test molecules drawn with ``seed``."""
    if seeds:
        return list(seeds)
    test = dataset.loc[dataset["split"] == "test", "smiles"]
    if len(test) == 0:
        raise ValueError("no test molecules to draw lead-optimization seeds from")
    pick = np.random.default_rng(seed).choice(
        len(test), size=min(n_seeds, len(test)), replace=False
    )
    return test.iloc[np.sort(pick)].tolist()
