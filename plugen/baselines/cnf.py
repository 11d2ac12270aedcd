"""StyleFlow-style conditional continuous normalizing flow (Abdal et al., 2021) on the latent.

The same editor as :class:`plugen.baselines.cflow.CFlow` (label coding, training, editing by
u = F^-1(z | y_src), z' = F(u | y_tgt)); only the flow differs: ``zuko.flows.CNF``, an ODE
dz/dt = f(t, z, y) integrated by adaptive Dormand-Prince between t = 0 and 1 (FFJORD), with the
exact Jacobian trace for small latents and Hutchinson's estimate above ``exact_max_dim``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import nn

from plugen.baselines.cflow import ConditionalFlowEditor
from plugen.train import TrainConfig


class CNF(ConditionalFlowEditor):
    """Conditional CNF editor (StyleFlow's flow type).

    hidden: widths of the ODE's MLP; train_tol: absolute and relative ODE tolerance while
    training (float32); tol: the same for inference, which runs in ``inference_dtype``
    (float64 by default: the round trip F(F^-1(z | y) | y) then returns z to ~1e-5);
    exact_max_dim: largest latent width that uses the exact divergence (wider ones use
    Hutchinson's unbiased estimate in training).
    """

    method = "cnf"
    checkpoint_format = "plugen-baseline-cnf"
    checkpoint_version = 1
    train_defaults = TrainConfig(
        epochs=60, batch_size=512, lr=2e-3, patience=4, lr_patience=1, progress=False
    )

    def __init__(
        self,
        latent_dim: int,
        attributes: Sequence[str],
        kinds: Mapping[str, str] | None = None,
        hidden: Sequence[int] = (64, 64),
        train_tol: float = 1e-3,
        tol: float = 1e-5,
        inference_dtype: str = "float64",
        exact_max_dim: int = 16,
        device: str | torch.device = "cpu",
    ) -> None:
        if inference_dtype not in ("float32", "float64"):
            raise ValueError(f"inference_dtype must be float32 or float64, got {inference_dtype!r}")
        super().__init__(
            latent_dim,
            attributes,
            kinds,
            device,
            hidden=list(hidden),
            train_tol=float(train_tol),
            tol=float(tol),
            inference_dtype=inference_dtype,
            exact_max_dim=int(exact_max_dim),
        )

    @staticmethod
    def build_flow(features: int, context: int, **kwargs: object) -> nn.Module:
        import zuko  # optional dependency of the baselines only

        return zuko.flows.CNF(
            features=features,
            context=context,
            hidden_features=tuple(kwargs["hidden"]),
            atol=kwargs["tol"],
            rtol=kwargs["tol"],
            exact=features <= kwargs["exact_max_dim"],
        )

    def set_training_precision(self, training: bool) -> None:
        """Training: float32 and ``train_tol``; otherwise ``inference_dtype`` and ``tol``."""
        tol = self.config["train_tol"] if training else self.config["tol"]
        self.flow.transform.atol = self.flow.transform.rtol = tol
        dtype = "float32" if training else self.config["inference_dtype"]
        self.flow.to(getattr(torch, dtype))
