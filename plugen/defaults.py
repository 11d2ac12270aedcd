"""Training defaults for a plugin on a user's latents (the ``plugen train`` CLI, the workflow).

Plain values only (no torch import), so the Snakefile can read them cheaply.
"""

from __future__ import annotations

EPOCHS = 200  # upper bound: early stopping on the validation loss ends training sooner
PATIENCE = 15  # epochs without validation improvement before stopping
BATCH_SIZE = 256
LR = 1e-3  # Adam; halved on a validation plateau
SIGMA = 0.4  # spread of the label coordinates around -1/+1 (the paper's default)


def default_flow_size(latent_dim: int) -> dict[str, int]:
    """Flow size for latents of width ``latent_dim``: 4 coupling layers, each shift network
    4 linear layers of width ``clamp(4 * latent_dim, 64, 512)``. Returns ``{n_couplings, n_layers,
    hidden}`` (keyword arguments of ``PluGeN``). Raises ``ValueError`` when ``latent_dim < 2``.
    """
    if latent_dim < 2:
        raise ValueError(f"latent_dim must be >= 2 (one attribute plus style), got {latent_dim}")
    return {"n_couplings": 4, "n_layers": 4, "hidden": min(max(4 * int(latent_dim), 64), 512)}
