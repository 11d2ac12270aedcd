"""PluGeN: a coupling flow (the paper's NICE, or affine couplings) plugged into a frozen
backbone's latent space.

``encode`` (F^-1) maps a latent z to label coordinates c (one per attribute, first k outputs)
and style coordinates s; ``decode`` (F) maps back. Labels are given in user units (binary 0/1,
continuous in the attribute's own units; NaN = unknown) and coded internally (continuous ones
standardized with training statistics). The model never sees the backbone: z in, z out.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from plugen import posterior
from plugen.checkpoint import load_checkpoint, save_checkpoint
from plugen.flows import NICE
from plugen.priors import KINDS, PluGeNPrior, sigma_schedule
from plugen.support import label_support, request_warnings
from plugen.train import History, TrainConfig
from plugen.train import train as run_training

log = logging.getLogger(__name__)

FORMAT = "plugen-checkpoint"
FORMAT_VERSION = 1
ArrayLike = np.ndarray | Tensor


@dataclass
class PluGeNConfig:
    """Everything that defines a PluGeN model (stored in checkpoints)."""

    latent_dim: int
    attributes: list[str]
    kinds: dict[str, str]
    n_couplings: int = 6
    n_layers: int = 4
    hidden: int = 256
    sigma: float = 0.4
    sigma_decay: float = 1.0
    sigma_floor: float = 0.1
    class_balanced: bool = False
    scaling: bool = False
    standardize_latents: bool = True
    coupling: str = "nice"
    whiten: bool = False
    whiten_floor: float = 0.0


def flow_settings(section: Mapping[str, object]) -> dict[str, object]:
    """The :class:`PluGeNConfig` settings (flow size, coupling, label prior) of a config file's
    ``flow`` section, as keyword arguments of :class:`PluGeN`; other keys are left out."""
    names = {f.name for f in fields(PluGeNConfig)} - {"latent_dim", "attributes", "kinds"}
    return {k: v for k, v in section.items() if k in names}


@dataclass
class _Stats:
    """Training statistics: latent and label standardization, positive rates."""

    z_mean: list[float] = field(default_factory=list)
    z_std: list[float] = field(default_factory=list)
    y_mean: list[float] = field(default_factory=list)
    y_std: list[float] = field(default_factory=list)
    pos_rate: list[float] = field(default_factory=list)
    # label ranges and binary combinations of the training labels (plugen.support); None in
    # plugins saved before it was recorded
    support: dict | None = None


class _FlowLoss:
    """NLL = -log p(c, s | y) - log|det J|, with the current (possibly decaying) sigma.

    Batches are ``(z, y)``, or ``(z, z_std, y)`` to train on posterior samples
    (:func:`plugen.posterior.sample`: fresh draws while training, the means in validation).
    """

    def __init__(self, prior: PluGeNPrior, sigma: float) -> None:
        self.prior, self.sigma = prior, sigma

    def __call__(self, flow: nn.Module, batch: tuple[Tensor, ...]) -> dict[str, Tensor]:
        if len(batch) == 3:
            z, z_std, y = batch
            z = posterior.sample(flow, z, z_std)
        else:
            z, y = batch
        cs, logdet = flow(z)
        label, style = self.prior.log_prob(cs, y, self.sigma)
        nll_prior = -(label + style).mean()
        ld = logdet.mean()
        return {
            "loss": nll_prior - ld,
            "nll_prior": nll_prior,
            "logdet": ld,
            "nll_labels": -label.mean(),
        }


class PluGeN:
    """Multi-label conditional generation plugin (see module docstring).

    latent_dim: width d of the backbone latent; attributes: names of the k labelled attributes
    (the first k flow outputs); kinds: name -> "binary" | "continuous" (default binary).
    """

    def __init__(
        self,
        latent_dim: int,
        attributes: Sequence[str],
        kinds: Mapping[str, str] | None = None,
        n_couplings: int = 6,
        n_layers: int = 4,
        hidden: int = 256,
        sigma: float = 0.4,
        sigma_decay: float = 1.0,
        sigma_floor: float = 0.1,
        class_balanced: bool = False,
        scaling: bool = False,
        standardize_latents: bool = True,
        coupling: str = "nice",
        whiten: bool = False,
        whiten_floor: float = 0.0,
        device: str | torch.device = "cpu",
    ) -> None:
        attributes = list(attributes)
        if len(set(attributes)) != len(attributes):
            raise ValueError(f"attribute names must be unique, got {attributes}")
        if not 1 <= len(attributes) < latent_dim:
            raise ValueError(
                f"need 1 <= number of attributes ({len(attributes)}) < latent_dim ({latent_dim})"
            )
        kinds = dict(kinds or {})
        unknown = sorted(set(kinds) - set(attributes))
        if unknown:
            raise ValueError(f"kinds names unknown attributes {unknown}; attributes: {attributes}")
        kinds = {a: kinds.get(a, "binary") for a in attributes}
        bad = {a: k for a, k in kinds.items() if k not in KINDS}
        if bad:
            raise ValueError(f"kinds must be 'binary' or 'continuous', got {bad}")
        if not 0 < sigma_decay <= 1:
            raise ValueError(f"sigma_decay must be in (0, 1], got {sigma_decay}")
        self.config = PluGeNConfig(
            latent_dim=int(latent_dim),
            attributes=attributes,
            kinds=kinds,
            n_couplings=n_couplings,
            n_layers=n_layers,
            hidden=hidden,
            sigma=float(sigma),
            sigma_decay=float(sigma_decay),
            sigma_floor=float(sigma_floor),
            class_balanced=class_balanced,
            scaling=scaling,
            standardize_latents=standardize_latents,
            coupling=coupling,
            whiten=bool(whiten),
            whiten_floor=float(whiten_floor),
        )
        self.device = torch.device(device)
        self.flow = self._new_flow().to(self.device)
        self.stats = _Stats(
            z_mean=[0.0] * latent_dim,
            z_std=[1.0] * latent_dim,
            y_mean=[0.0] * len(attributes),
            y_std=[1.0] * len(attributes),
            pos_rate=[0.5] * len(attributes),
        )
        self.sigma_now = float(sigma)
        self.history: list[dict[str, float]] = []
        self.fitted = False

    def _new_flow(self) -> NICE:
        c = self.config
        return NICE(
            c.latent_dim,
            c.n_couplings,
            c.n_layers,
            c.hidden,
            c.scaling,
            c.coupling,
            whiten=c.whiten,
        )

    # ------------------------------------------------------------------ properties
    @property
    def attributes(self) -> list[str]:
        return self.config.attributes

    @property
    def kinds(self) -> dict[str, str]:
        return self.config.kinds

    @property
    def latent_dim(self) -> int:
        return self.config.latent_dim

    @property
    def prior(self) -> PluGeNPrior:
        kinds = [self.kinds[a] for a in self.attributes]
        return PluGeNPrior(
            kinds,
            self.latent_dim - len(kinds),
            self.config.sigma,
            self.config.class_balanced,
            self.stats.pos_rate,
        )

    def to(self, device: str | torch.device) -> PluGeN:
        """Move the flow to ``device`` ("cpu" or "cuda")."""
        self.device = torch.device(device)
        self.flow.to(self.device)
        return self

    # ------------------------------------------------------------------ validation
    def check_latents(self, z: ArrayLike, source: str = "z") -> Tensor:
        """Latents ``(n, d)`` (or one ``(d,)``) as a float32 CPU tensor ``(n, d)``.

        Raises ValueError starting with ``source`` (pass the file the latents came from) when
        the width is not the plugin's ``latent_dim`` or a value is NaN or infinite.
        """
        if isinstance(z, np.ndarray) and not z.flags.writeable:  # e.g. straight from Parquet
            z = z.copy()
        t = torch.as_tensor(z, dtype=torch.float32).detach().cpu()
        if t.ndim == 1:
            t = t[None]
        if t.ndim != 2 or t.shape[1] != self.latent_dim:
            raise ValueError(
                f"{source}: latents have shape {tuple(t.shape)}; "
                f"the plugin expects (n, {self.latent_dim})"
            )
        if not torch.isfinite(t).all():
            bad = int((~torch.isfinite(t)).any(1).sum())
            raise ValueError(f"{source}: latents contain NaN or infinite values in {bad} row(s)")
        return t

    def _check_names(self, names: Sequence[str], where: str) -> None:
        unknown = [n for n in names if n not in self.attributes]
        if unknown:
            raise ValueError(f"{where}: unknown attribute(s) {unknown}; known: {self.attributes}")

    def _check_binary_values(self, values: Tensor, names: Sequence[str], where: str) -> None:
        for j, name in enumerate(names):
            if self.kinds[name] != "binary":
                continue
            col = values[:, j]
            col = col[~torch.isnan(col)]
            bad = col[(col != 0) & (col != 1)]
            if len(bad):
                raise ValueError(
                    f"{where}: binary attribute '{name}' must be 0 or 1 (NaN = unknown), "
                    f"got {float(bad[0]):g}"
                )

    def _labels_matrix(self, y: ArrayLike | Mapping | object, n: int) -> Tensor:
        """Labels in user units -> (n, k) float tensor in attribute order."""
        if hasattr(y, "columns"):  # pandas DataFrame
            missing = [a for a in self.attributes if a not in y.columns]
            if missing:
                raise ValueError(f"labels: missing column(s) {missing}")
            y = y[self.attributes].to_numpy(dtype=np.float32)
        # one owned copy (pandas may hand out read-only views, which torch warns about)
        t = torch.from_numpy(np.array(y, dtype=np.float32))
        if t.ndim == 1 and len(self.attributes) == 1:
            t = t[:, None]
        if t.shape != (n, len(self.attributes)):
            raise ValueError(
                f"labels have shape {tuple(t.shape)}; expected ({n}, {len(self.attributes)}) "
                f"for attributes {self.attributes}"
            )
        if torch.isinf(t).any():
            raise ValueError("labels contain infinite values (use NaN for unknown)")
        self._check_binary_values(t, self.attributes, "labels")
        return t

    # ------------------------------------------------------------------ coding
    def _code_labels(self, y: Tensor) -> Tensor:
        mean = torch.tensor(self.stats.y_mean)
        std = torch.tensor(self.stats.y_std)
        cont = torch.tensor([self.kinds[a] == "continuous" for a in self.attributes])
        return torch.where(cont, (y - mean) / std, y)

    def _target_coordinate(self, name: str, value: float) -> float:
        j = self.attributes.index(name)
        if self.kinds[name] == "binary":
            if value not in (0, 1):
                raise ValueError(f"binary attribute '{name}' must be set to 0 or 1, got {value}")
            return 2.0 * float(value) - 1.0
        if not np.isfinite(value):
            raise ValueError(f"continuous attribute '{name}' needs a finite value, got {value}")
        return (float(value) - self.stats.y_mean[j]) / self.stats.y_std[j]

    def _standardize(self, z: Tensor) -> Tensor:
        m = torch.tensor(self.stats.z_mean, device=z.device)
        s = torch.tensor(self.stats.z_std, device=z.device)
        return (z - m) / s

    def _unstandardize(self, z: Tensor) -> Tensor:
        m = torch.tensor(self.stats.z_mean, device=z.device)
        s = torch.tensor(self.stats.z_std, device=z.device)
        return z * s + m

    @staticmethod
    def _out(t: Tensor, like: object) -> ArrayLike:
        return t if isinstance(like, Tensor) else t.detach().cpu().numpy()

    # ------------------------------------------------------------------ training
    def fit(
        self,
        z: ArrayLike,
        y: ArrayLike,
        *,
        z_std: ArrayLike | None = None,
        validation: ArrayLike | None = None,
        train: TrainConfig | None = None,
        logger: logging.Logger | None = None,
        **settings: Any,
    ) -> list[dict[str, float]]:
        """Maximum-likelihood training on latents ``z: (n, d)`` and labels ``y: (n, k)``.

        Labels in user units, NaN = unknown (semi-supervised). ``z_std: (n, d)``: the backbone
        posterior's standard deviations around the means ``z``; given, every training step sees
        fresh samples ``z + z_std * eps`` (:mod:`plugen.posterior`) and validation the means.
        A seeded ``val_fraction`` is held out for early stopping (best weights restored) and
        LR-on-plateau, or the rows of ``validation`` (a boolean mask ``(n,)``: the user's own
        validation split) when given. Returns the history:
        one dict per epoch with ``epoch``, train/val ``loss``, ``nll_prior``, ``logdet``,
        ``nll_labels``, ``lr`` and ``sigma`` (no wall-clock values: the same seed gives the same
        history; the epoch's seconds are logged). ``checkpoint``: resumable training-state file,
        written after every epoch and resumed from when it holds an earlier state of the same
        fit (see :func:`plugen.train.train`): the result is the same as without interruption.
        ``train``: the training settings (:class:`plugen.train.TrainConfig`, whose defaults are
        the plugin's: at most 200 epochs, early stopping after 15 without a lower validation
        loss; no progress bar unless asked); ``settings``: fields of it to override, e.g.
        ``epochs=20, seed=1``. Raises ValueError for latents or labels of the wrong shape,
        NaN/infinite latents, or an attribute without any known label; TypeError for a setting
        that is not a :class:`~plugen.train.TrainConfig` field.
        """
        cfg = replace(train if train is not None else TrainConfig(progress=False), **settings)
        zt = self.check_latents(z)
        st = posterior.check_spread(z_std, zt)
        yt = self._labels_matrix(y, len(zt))
        known = ~torch.isnan(yt)
        if not known.any(0).all():
            empty = [a for a, ok in zip(self.attributes, known.any(0).tolist()) if not ok]
            raise ValueError(f"labels: attribute(s) {empty} have no known value")
        torch.manual_seed(cfg.seed)
        self.flow = self._new_flow()
        self._fit_stats(zt, yt, st)
        data = (self._standardize(zt), self._code_labels(yt))
        if st is not None:
            data = (data[0], st / torch.tensor(self.stats.z_std), data[1])
        val_data = None
        if validation is not None:
            held = torch.as_tensor(np.asarray(validation, dtype=bool))
            if held.shape != (len(zt),) or not held.any() or held.all():
                raise ValueError(
                    f"validation: expected a boolean mask of shape ({len(zt)},) with rows on "
                    f"both sides, got shape {tuple(held.shape)} with {int(held.sum())} held out"
                )
            data, val_data = tuple(t[~held] for t in data), tuple(t[held] for t in data)
        loss = _FlowLoss(self.prior, self.config.sigma)

        def on_epoch_end(epoch: int, row: dict[str, float]) -> None:
            row["sigma"] = loss.sigma
            loss.sigma = sigma_schedule(
                self.config.sigma, self.config.sigma_decay, epoch + 1, self.config.sigma_floor
            )

        hist = run_training(
            self.flow,
            loss,
            data,
            cfg,
            val_data=val_data,
            device=self.device,
            history=History("plugen", logger),
            on_epoch_end=on_epoch_end,
        )
        self.sigma_now = float(hist.rows[-1]["sigma"])  # sigma of the last epoch trained
        self.history = hist.rows
        self.fitted = True
        return self.history

    def _fit_stats(self, z: Tensor, y: Tensor, z_std: Tensor | None = None) -> None:
        if self.config.standardize_latents:
            self.stats.z_mean = z.mean(0).tolist()
            self.stats.z_std = posterior.aggregate_std(z, z_std).clamp_min(1e-6).tolist()
        if self.config.whiten:  # the aggregate posterior's covariance, in standardized units
            zs = self._standardize(z)
            cov = torch.cov(zs.T).reshape(self.latent_dim, self.latent_dim)
            if z_std is not None:
                cov = cov + torch.diag((z_std / torch.tensor(self.stats.z_std)).pow(2).mean(0))
            self.flow.set_whitening(cov.to(self.device), self.config.whiten_floor)
        for j, a in enumerate(self.attributes):
            col = y[:, j][~torch.isnan(y[:, j])]
            if self.kinds[a] == "continuous":
                self.stats.y_mean[j] = float(col.mean())
                self.stats.y_std[j] = float(col.std()) if len(col) > 1 and col.std() > 0 else 1.0
            else:
                self.stats.pos_rate[j] = float(col.mean())
        self.stats.support = label_support(y.numpy(), self.attributes, self.kinds)

    def request_warnings(self, values: Mapping[str, float], free_drawn: bool = True) -> list[str]:
        """One line per part of a request (user units) the training labels do not support: a
        continuous value outside their range, a binary combination they never show
        (:func:`plugen.support.request_warnings`); ``free_drawn``: unrequested binary attributes
        are drawn from their training frequency (generation), not kept (manipulation)."""
        rates = dict(zip(self.attributes, self.stats.pos_rate)) if free_drawn else None
        return request_warnings(self.stats.support, values, rates)

    # ------------------------------------------------------------------ inference
    @torch.no_grad()
    def encode(self, z: ArrayLike) -> tuple[ArrayLike, ArrayLike]:
        """F^-1: latents ``(n, d)`` -> (label coordinates ``(n, k)``, style ``(n, d - k)``)."""
        zt = self.check_latents(z).to(self.device)
        self.flow.eval()
        cs, _ = self.flow(self._standardize(zt))
        k = len(self.attributes)
        return self._out(cs[:, :k], z), self._out(cs[:, k:], z)

    @torch.no_grad()
    def decode(self, c: ArrayLike, s: ArrayLike) -> ArrayLike:
        """F: (label coordinates ``(n, k)``, style ``(n, d - k)``) -> latents ``(n, d)``."""
        ct = torch.as_tensor(c, dtype=torch.float32, device=self.device)
        st = torch.as_tensor(s, dtype=torch.float32, device=self.device)
        k = len(self.attributes)
        if ct.ndim != 2 or st.ndim != 2 or ct.shape[1] != k or st.shape[1] != self.latent_dim - k:
            raise ValueError(
                f"decode expects c (n, {k}) and s (n, {self.latent_dim - k}), "
                f"got {tuple(ct.shape)} and {tuple(st.shape)}"
            )
        self.flow.eval()
        z = self._unstandardize(self.flow.inverse(torch.cat([ct, st], 1)))
        return self._out(z, c)

    def base_to_latents(self, cs: Tensor) -> Tensor:
        """F with gradients: base coordinates ``(n, d)`` (label coordinates first) -> latents
        ``(n, d)`` on the flow's device; for searches that optimise ``(c, s)``
        (:mod:`plugen.inverse`). Leaves the flow in eval mode."""
        self.flow.eval()
        return self._unstandardize(self.flow.inverse(cs.to(self.device)))

    def base_log_prob(self, cs: Tensor, labels: Tensor | None = None) -> Tensor:
        """log p(c, s | labels) ``(n,)`` of base coordinates ``(n, d)``, with gradients.

        labels: ``(n, k)`` in user units, NaN = not requested (that coordinate gets its prior
        marginal); None: nothing requested. The style term is N(0, I); the label spread is the
        final training sigma (the density :meth:`generate` samples at temperature 1)."""
        if labels is None:
            labels = torch.full((len(cs), len(self.attributes)), float("nan"))
        y = self._code_labels(self._labels_matrix(labels.cpu().numpy(), len(cs)))
        y = y.to(cs.device, cs.dtype)
        label, style = self.prior.log_prob(cs, y, self.sigma_now)
        return label + style

    def target_coordinates(self, labels: Tensor) -> Tensor:
        """Requested labels ``(n, k)`` (user units, NaN = free) -> their label coordinates
        ``(n, k)`` (binary -1/+1, continuous standardized; NaN stays NaN). ValueError for a
        wrong shape or a binary value other than 0/1."""
        y = self._labels_matrix(labels.cpu().numpy(), len(labels))
        binary = torch.tensor([self.kinds[a] == "binary" for a in self.attributes])
        return torch.where(binary, 2.0 * y - 1.0, self._code_labels(y))

    def _coded_request(self, values: Mapping[str, float], n: int) -> Tensor:
        self._check_names(list(values), "requested attributes")
        y = torch.full((n, len(self.attributes)), float("nan"))
        for name, v in values.items():
            coord = self._target_coordinate(name, v)
            j = self.attributes.index(name)
            # the prior is parametrised by coded labels: binary stays 0/1
            y[:, j] = float(v) if self.kinds[name] == "binary" else coord
        return y

    @torch.no_grad()
    def generate(
        self,
        values: Mapping[str, float],
        n: int,
        temperature: float = 1.0,
        sigma: float | None = None,
        seed: int | None = None,
        as_tensor: bool = False,
    ) -> ArrayLike:
        """Sample ``n`` latents ``(n, d)`` with the requested attribute ``values`` (user units).

        Unspecified attributes are drawn from the prior (binary: training frequency; continuous:
        N(0, 1) in standardized units). ``temperature`` (>= 0) scales the conditional prior's
        spread, of the label coordinates and the style alike (1: the paper's p(c, s | y), 0: its
        mode; unrequested attributes are still drawn from the prior); ``sigma``: the label
        spread before that scaling (default: the final training sigma).
        Raises ``ValueError`` for ``n < 1`` or a negative ``temperature``.
        """
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        if not temperature >= 0:
            raise ValueError(f"temperature must be >= 0 (0: the mode), got {temperature}")
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        y = self._coded_request(values, n)
        cs = self.prior.sample(y, sigma if sigma is not None else self.sigma_now, temperature, gen)
        k = len(self.attributes)
        z = self.decode(cs[:, :k], cs[:, k:])
        return z if as_tensor else z.detach().cpu().numpy()

    @torch.no_grad()
    def manipulate(self, z: ArrayLike, values: Mapping[str, float]) -> ArrayLike:
        """Set the named attributes of latents ``z: (n, d)`` to ``values``; keep everything else.

        (c, s) = F^-1(z); c_i := target coordinate (binary: -1/+1, continuous: standardized
        value); return F(c, s) with the same shape and type as ``z``.
        """
        self._check_names(list(values), "manipulate")
        c, s = self.encode(self.check_latents(z))
        for name, v in values.items():
            c[:, self.attributes.index(name)] = self._target_coordinate(name, v)
        out = self.decode(c, s)
        return self._out(out, z)

    @torch.no_grad()
    def interpolate(self, z: ArrayLike, attribute: str, values: Sequence[float]) -> ArrayLike:
        """Gradual change of one attribute: ``(len(values), n, d)`` latents, one slice per value.

        Binary attributes accept fractional values in [0, 1] (coordinate 2v - 1), continuous
        ones any value in the attribute's units.
        """
        self._check_names([attribute], "interpolate")
        j = self.attributes.index(attribute)
        c, s = self.encode(self.check_latents(z))
        outs = []
        for v in values:
            cv = c.clone()
            if self.kinds[attribute] == "binary":
                if not 0 <= v <= 1:
                    raise ValueError(f"binary attribute '{attribute}' interpolates in [0, 1]")
                cv[:, j] = 2.0 * float(v) - 1.0
            else:
                cv[:, j] = self._target_coordinate(attribute, v)
            outs.append(self.decode(cv, s))
        return self._out(torch.stack(outs), z)

    @torch.no_grad()
    def label_coordinates(self, z: ArrayLike) -> dict[str, np.ndarray]:
        """Read the labels the flow assigns to latents ``z: (n, d)`` in user units: one
        ``(n,)`` array per attribute (binary: a P(y=1) proxy; continuous: the attribute's
        units), whatever device the flow is on."""
        c, _ = self.encode(self.check_latents(z))
        c = c.detach().cpu()
        out = {}
        for j, a in enumerate(self.attributes):
            if self.kinds[a] == "binary":
                out[a] = torch.sigmoid(2.0 * c[:, j] / self.sigma_now**2).numpy()
            else:
                out[a] = (c[:, j] * self.stats.y_std[j] + self.stats.y_mean[j]).numpy()
        return out

    @torch.no_grad()
    def nll(self, z: ArrayLike, y: ArrayLike) -> np.ndarray:
        """Per-example negative log-likelihood ``(n,)`` of latents and labels (nats)."""
        zt = self.check_latents(z)
        yt = self._code_labels(self._labels_matrix(y, len(zt)))
        self.flow.eval()
        cs, logdet = self.flow(self._standardize(zt.to(self.device)))
        label, style = self.prior.log_prob(cs.cpu(), yt, self.sigma_now)
        const = torch.log(torch.tensor(self.stats.z_std)).sum()
        return (-(label + style + logdet.cpu()) + const).numpy()

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> None:
        """Write weights, config, statistics and history to ``path`` atomically."""
        save_checkpoint(
            path,
            FORMAT,
            FORMAT_VERSION,
            config=asdict(self.config),
            stats=asdict(self.stats),
            sigma_now=self.sigma_now,
            history=self.history,
            fitted=self.fitted,
            state_dict=self.flow.state_dict(),
        )

    @classmethod
    def load(
        cls,
        path: str | Path,
        device: str | torch.device = "cpu",
        expected_latent_dim: int | None = None,
    ) -> PluGeN:
        """Read a checkpoint written by :meth:`save`; clear errors for foreign/mismatched files."""
        state = load_checkpoint(path, FORMAT, FORMAT_VERSION, "PluGeN")
        cfg = state["config"]
        if expected_latent_dim is not None and cfg["latent_dim"] != expected_latent_dim:
            raise ValueError(
                f"{path}: checkpoint has latent_dim {cfg['latent_dim']}, "
                f"expected {expected_latent_dim}"
            )
        model = cls(device=device, **cfg)
        model.flow.load_state_dict(state["state_dict"])
        model.flow.to(model.device)
        model.stats = _Stats(**state["stats"])
        model.sigma_now = state["sigma_now"]
        model.history = state["history"]
        model.fitted = state["fitted"]
        return model
