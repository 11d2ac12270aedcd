"""Figures of the molecule experiment: property densities (Figure 7) and lead optimization
grids drawn with RDKit (Figure 8). Matplotlib runs headless (Agg)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from plugen.experiments.molecules.data import PROPERTIES, mol_from_smiles
from plugen.experiments.molecules.tasks import UNCONDITIONAL


def _density(ax, values: np.ndarray, grid: np.ndarray, **kwargs) -> None:
    from scipy.stats import gaussian_kde

    values = values[np.isfinite(values)]
    if len(values) < 3 or np.std(values) == 0:
        return
    ax.plot(grid, gaussian_kde(values)(grid), **kwargs)


def density_figure(
    dataset: pd.DataFrame, samples: pd.DataFrame, measured: pd.DataFrame, path: str | Path
) -> Path:
    """One panel per property: density of the data set (train split) and of the molecules
    generated for each requested value of that property (dashed line: the target).

    samples: request table (``group``, ``target_<p>``); measured: aligned property frame.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(PROPERTIES), figsize=(4.2 * len(PROPERTIES), 3.4))
    train = dataset[dataset["split"] == "train"]
    for ax, p in zip(np.atleast_1d(axes), PROPERTIES):
        lo, hi = np.nanpercentile(
            np.r_[train[p].to_numpy(), measured[p].to_numpy(dtype=float)], [0.5, 99.5]
        )
        grid = np.linspace(lo, hi, 200)
        _density(ax, train[p].to_numpy(dtype=float), grid, color="black", lw=2, label="data")
        uncond = (samples["group"] == UNCONDITIONAL).to_numpy()
        if uncond.any():
            _density(
                ax,
                measured.loc[uncond, p].to_numpy(float),
                grid,
                color="grey",
                ls=":",
                label="unconditional",
            )
        targets = samples[f"target_{p}"].dropna().unique()
        colors = plt.cm.viridis(np.linspace(0.1, 0.9, max(len(targets), 1)))
        for color, t in zip(colors, sorted(targets)):
            mask = (samples[f"target_{p}"] == t).to_numpy()
            _density(ax, measured.loc[mask, p].to_numpy(float), grid, color=color, label=f"{t:g}")
            ax.axvline(t, color=color, ls="--", lw=1)
        ax.set_xlabel(p)
        ax.set_yticks([])
        ax.legend(fontsize=7, frameon=False)
    fig.suptitle("Generated molecules per requested value (dashed: target)")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def lead_grid(lead: pd.DataFrame, attribute: str, path: str | Path, size: int = 190) -> Path:
    """RDKit grid: one row per seed (the seed first, then every step), legends with the
    measured property and the Tanimoto similarity to the seed; invalid SMILES left blank."""
    from rdkit import Chem
    from rdkit.Chem import Draw

    from plugen.experiments.molecules.chem import property_frame

    mols, legends = [], []
    groups = list(lead.groupby("source_id", sort=True))
    n_cols = 1 + max(len(g) for _, g in groups)
    for _, group in groups:
        seed_smiles = group["seed_smiles"].iloc[0]
        seed = mol_from_smiles(seed_smiles)
        mols.append(seed if seed is not None else Chem.Mol())
        value = float(property_frame([seed_smiles])[attribute].iloc[0])
        legends.append(f"seed {attribute}={value:.2f}")
        for row in group.sort_values("step").itertuples(index=False):
            mol = mol_from_smiles(row.smiles)
            mols.append(mol if mol is not None else Chem.Mol())
            value = getattr(row, attribute)
            legends.append(
                f"+{row.delta:.1f}: {value:.2f} sim {row.tanimoto:.2f}" if mol else "invalid"
            )
        pad = n_cols - 1 - len(group)
        mols += [Chem.Mol()] * pad
        legends += [""] * pad
    image = Draw.MolsToGridImage(
        mols, molsPerRow=n_cols, subImgSize=(size, size), legends=legends, returnPNG=False
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path
