"""cFlow: a conditional normalizing flow on the backbone latent, conditioned on the labels.

The paper's "cFlow" baseline (following StyleFlow, with a discrete-time flow): z ~ p(z | y) with
z = F(u | y), u ~ N(0, I). The condition is the label vector coded like PluGeN's plus a 0/1
"known" mask per attribute (:class:`plugen.baselines.base.LabelCoding`), so unknown labels
(NaN) are allowed in training and as a source's labels. Trained by maximum likelihood on
standardized latents with :func:`plugen.train.train`.

Editing needs the source's labels: u = F^-1(z | y_src), z' = F(u | y_tgt), y_tgt = y_src with
the requested entries replaced. :class:`ConditionalFlowEditor` holds everything but the flow;
:class:`CFlow` builds a zuko neural spline flow, :class:`plugen.baselines.cnf.CNF` a
continuous one.
"""

from __future__ import annotations

import abc
import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from plugen import posterior
from plugen.baselines.base import (
    ArrayLike,
    History,
    LabelCoding,
    LatentEditor,
    as_output,
    check_attributes,
    check_labels,
    check_latents,
)
from plugen.flows import NICE
from plugen.train import History as TrainHistory
from plugen.train import TrainConfig
from plugen.train import train as train_loop

log = logging.getLogger(__name__)


def flow_nll(flow: nn.Module, batch: tuple[Tensor, ...]) -> dict[str, Tensor]:
    """Loss for :func:`plugen.train.train`: mean -log p(z | context) of a zuko flow.

    batch: standardized latents ``(b, d)`` and contexts ``(b, 2k)``.
    """
    z, ctx = batch
    nll = -flow(ctx).log_prob(z).mean()
    return {"loss": nll, "nll": nll}


class ConditionalFlowEditor(LatentEditor):
    """A conditional flow p(z | y) used as an editor; subclasses build the flow.

    ``flow_kwargs`` go to :meth:`build_flow`; ``device``: where the flow runs.
    """

    def __init__(
        self,
        latent_dim: int,
        attributes: Sequence[str],
        kinds: Mapping[str, str] | None = None,
        device: str | torch.device = "cpu",
        **flow_kwargs: object,
    ) -> None:
        self.attributes, self.kinds = check_attributes(attributes, kinds, latent_dim)
        self.latent_dim = int(latent_dim)
        self.config = {
            "latent_dim": self.latent_dim,
            "attributes": self.attributes,
            "kinds": self.kinds,
            **flow_kwargs,
        }
        self.coding = LabelCoding(self.attributes, self.kinds)
        self.z_mean = torch.zeros(self.latent_dim)
        self.z_std = torch.ones(self.latent_dim)
        self.device = torch.device(device)
        self.flow = self.build_flow(self.latent_dim, self.coding.width, **flow_kwargs)
        self.flow.to(self.device)
        self.set_training_precision(False)
        self.history: History = []
        self.fitted = False

    @staticmethod
    @abc.abstractmethod
    def build_flow(features: int, context: int, **kwargs: object) -> nn.Module:
        """A zuko ``Flow``: ``flow(context)`` is the distribution p(z | context)."""

    def set_training_precision(self, training: bool) -> None:
        """Switch numerical settings between training and inference (no-op: exact inverses)."""

    # ------------------------------------------------------------------ training
    def fit(
        self,
        z: ArrayLike,
        y: ArrayLike,
        z_std: ArrayLike | None = None,
        *,
        train: TrainConfig | None = None,
        logger: logging.Logger | None = None,
        **settings: Any,
    ) -> History:
        """Maximum likelihood on ``z: (n, d)`` given ``y: (n, k)`` (user units, NaN = unknown);
        with ``z_std: (n, d)``, on fresh posterior samples (:mod:`plugen.posterior`).

        Returns one row per epoch (``train_nll``, ``val_nll``, ``lr``...); the
        weights of the best validation epoch are kept.
        """
        cfg = self.train_config(train, settings)
        zt = check_latents(z, self.latent_dim, "fit: z")
        st = posterior.check_spread(z_std, zt, "fit: z_std")
        yt = check_labels(y, self.attributes, self.kinds, len(zt), "fit: labels")
        self.coding.fit(yt)
        self.z_mean = zt.mean(0)
        self.z_std = posterior.aggregate_std(zt, st).clamp_min(1e-6)
        data = ((zt - self.z_mean) / self.z_std, self.coding.context(yt))
        if st is not None:
            data = (data[0], st / self.z_std, data[1])
        torch.manual_seed(cfg.seed)
        self.flow = self.build_flow(self.latent_dim, self.coding.width, **self._flow_kwargs())
        self.set_training_precision(True)
        try:
            hist = train_loop(
                self.flow,
                flow_nll if st is None else posterior.with_posterior(flow_nll),
                data,
                cfg,
                device=self.device,
                history=TrainHistory(self.method, logger or log),
            )
        finally:
            self.set_training_precision(False)
        self.history, self.fitted = hist.rows, True
        return self.history

    def _flow_kwargs(self) -> dict:
        return {
            k: v for k, v in self.config.items() if k not in ("latent_dim", "attributes", "kinds")
        }

    # ------------------------------------------------------------------ the two directions
    def _conditioned(self, labels: ArrayLike, n: int) -> object:
        """The flow's distribution p(. | labels) for labels ``(n, k)``, in eval mode."""
        y = check_labels(labels, self.attributes, self.kinds, n, "labels")
        dtype = next(self.flow.parameters()).dtype
        self.flow.eval()
        return self.flow(self.coding.context(y).to(self.device, dtype))

    def _standardized(self, z: Tensor) -> Tensor:
        dtype = next(self.flow.parameters()).dtype
        return ((z.to(dtype) - self.z_mean.to(dtype)) / self.z_std.to(dtype)).to(self.device)

    @torch.no_grad()
    def to_base(self, z: ArrayLike, labels: ArrayLike) -> Tensor:
        """F^-1: latents ``(n, d)`` given their labels ``(n, k)`` -> base points u ``(n, d)``."""
        zt = check_latents(z, self.latent_dim)
        return self._conditioned(labels, len(zt)).transform(self._standardized(zt)).cpu()

    @torch.no_grad()
    def from_base(self, u: ArrayLike, labels: ArrayLike) -> Tensor:
        """F: base points ``(n, d)`` given labels ``(n, k)`` -> float32 latents ``(n, d)``."""
        u = torch.as_tensor(u)
        if u.ndim != 2 or u.shape[1] != self.latent_dim:
            raise ValueError(f"u has shape {tuple(u.shape)}; expected (n, {self.latent_dim})")
        dist = self._conditioned(labels, len(u))
        x = dist.transform.inv(u.to(self.device, next(self.flow.parameters()).dtype)).cpu()
        return (x * self.z_std.to(x.dtype) + self.z_mean.to(x.dtype)).float()

    @torch.no_grad()
    def log_prob(self, z: ArrayLike, labels: ArrayLike) -> np.ndarray:
        """log p(z | labels) ``(n,)`` in nats, in the backbone's latent units."""
        zt = check_latents(z, self.latent_dim)
        lp = self._conditioned(labels, len(zt)).log_prob(self._standardized(zt)).cpu()
        return (lp.double() - torch.log(self.z_std.double()).sum()).numpy()

    # ------------------------------------------------------------------ tasks
    def generate(
        self,
        values: Mapping[str, float],
        n: int,
        temperature: float = 1.0,
        seed: int | None = None,
    ) -> np.ndarray:
        """``n`` latents ``(n, d)``: u ~ N(0, temperature^2 I), z = F(u | y). Unrequested
        attributes are drawn from the training marginals (as PluGeN does)."""
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        y = self.coding.request(values, n, gen)
        u = temperature * torch.randn(n, self.latent_dim, generator=gen)
        return self.from_base(u, y).numpy()

    def manipulate(
        self,
        z: ArrayLike,
        values: Mapping[str, float],
        source_labels: ArrayLike | None = None,
    ) -> ArrayLike:
        """u = F^-1(z | y_src), z' = F(u | y_tgt): ``z (n, d)`` -> ``(n, d)``.

        ``source_labels: (n, k)`` (user units, NaN = unknown) are required: raises ValueError
        without them.
        """
        values = self.coding.check_values(values, "manipulate")
        if source_labels is None:
            raise ValueError(
                f"manipulate: {self.method} needs source_labels (n, {len(self.attributes)}), "
                "the labels of the latents being edited"
            )
        zt = check_latents(z, self.latent_dim)
        y_src = check_labels(source_labels, self.attributes, self.kinds, len(zt), "source_labels")
        y_tgt = y_src.clone()
        for name, v in values.items():
            y_tgt[:, self.attributes.index(name)] = v
        return as_output(self.from_base(self.to_base(zt, y_src), y_tgt), z)

    # ------------------------------------------------------------------ persistence
    def _weights(self) -> dict:
        state = self.flow.state_dict()
        return {"z_mean": self.z_mean.clone(), "z_std": self.z_std.clone(), "state_dict": state}

    def _restore(self, weights: dict, device: str | torch.device) -> None:
        self.z_mean, self.z_std = weights["z_mean"], weights["z_std"]
        self.flow.load_state_dict(weights["state_dict"])
        self.flow.to(self.device)
        self.set_training_precision(False)


class CFlow(ConditionalFlowEditor):
    """cFlow with a zuko neural spline flow (NSF) conditioned on the coded labels.

    transforms: number of spline transforms; hidden: widths of each conditioner MLP;
    bins: spline bins; passes: 2 = coupling transforms (one pass each way, default),
    None = fully autoregressive (sampling then takes d passes per transform).
    """

    method = "cflow"
    checkpoint_format = "plugen-baseline-cflow"
    train_defaults = TrainConfig(
        epochs=200, batch_size=512, lr=2e-3, patience=4, lr_patience=1, progress=False
    )
    checkpoint_version = 1

    def __init__(
        self,
        latent_dim: int,
        attributes: Sequence[str],
        kinds: Mapping[str, str] | None = None,
        transforms: int = 3,
        hidden: Sequence[int] = (64, 64),
        bins: int = 8,
        passes: int | None = 2,
        device: str | torch.device = "cpu",
    ) -> None:
        super().__init__(
            latent_dim,
            attributes,
            kinds,
            device,
            transforms=int(transforms),
            hidden=list(hidden),
            bins=int(bins),
            passes=passes,
        )

    @staticmethod
    def build_flow(features: int, context: int, **kwargs: object) -> nn.Module:
        import zuko  # optional dependency of the baselines only

        return zuko.flows.NSF(
            features=features,
            context=context,
            transforms=kwargs["transforms"],
            hidden_features=tuple(kwargs["hidden"]),
            bins=kwargs["bins"],
            passes=kwargs["passes"],
        )


class _Conditioned:
    """p(z | context) of a :class:`ConditionalCouplings` flow in zuko's calling convention:
    ``log_prob(z)``, ``transform(z)`` (to the base) and ``transform.inv(u)`` (back)."""

    def __init__(self, flow: nn.Module, context: Tensor) -> None:
        self.flow, self.context = flow, context
        self.transform = self
        self.inv = lambda u: flow.inverse(u, context)

    def __call__(self, z: Tensor) -> Tensor:
        return self.flow(z, self.context)[0]

    def log_prob(self, z: Tensor) -> Tensor:
        u, logdet = self.flow(z, self.context)
        return -0.5 * (u.pow(2) + math.log(2 * math.pi)).sum(1) + logdet


class ConditionalCouplings(nn.Module):
    """A coupling flow of PluGeN's own family (:class:`plugen.flows.NICE`, additive or affine
    couplings) whose coupling nets also read the label context, base N(0, I)."""

    def __init__(self, features: int, context: int, **kwargs: object) -> None:
        super().__init__()
        self.couplings = NICE(features, context=context, **kwargs)

    def forward(self, context: Tensor) -> _Conditioned:
        return _Conditioned(self.couplings, context)


class CNICE(ConditionalFlowEditor):
    """cFlow built from PluGeN's own flow (same couplings, depth and width), conditioned on the
    coded labels instead of mapping them to a prior: beside PluGeN, what the prior itself buys.

    n_couplings, n_layers, hidden, coupling, scaling: as :class:`plugen.PluGeN`'s flow.
    """

    method = "cnice"
    checkpoint_format = "plugen-baseline-cnice"
    checkpoint_version = 1

    def __init__(
        self,
        latent_dim: int,
        attributes: Sequence[str],
        kinds: Mapping[str, str] | None = None,
        n_couplings: int = 6,
        n_layers: int = 4,
        hidden: int = 256,
        coupling: str = "nice",
        scaling: bool = False,
        device: str | torch.device = "cpu",
    ) -> None:
        super().__init__(
            latent_dim,
            attributes,
            kinds,
            device,
            n_couplings=int(n_couplings),
            n_layers=int(n_layers),
            hidden=int(hidden),
            coupling=str(coupling),
            scaling=bool(scaling),
        )

    @staticmethod
    def build_flow(features: int, context: int, **kwargs: object) -> nn.Module:
        return ConditionalCouplings(features, context, **kwargs)
