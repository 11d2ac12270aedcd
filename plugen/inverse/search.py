"""Latent search for inverse problems: latents whose decodes explain an observation.

Minimises, per candidate, ``0.5 * |A(D(z)) - y|^2 / noise^2 - log p(u)`` over the search
variable ``u`` with ``z = G(u)``:

* ``prior="plugen"``: ``u = (c, s)``, the plugin's base coordinates, ``z = F(c, s)``, and
  ``log p`` the plugin's conditional prior; requested attributes fix their label coordinates
  (to -1/+1 or the standardized value) and the rest is optimised;
* ``prior="l2"``: ``u = z`` under N(0, I) (an L2 penalty on z, as GAN inversion uses);
* ``prior="none"``: ``u = z``, the observation alone.

``k`` solutions per observation start from the ``k`` best of ``candidates`` prior draws at
``temperature`` (style ~ N(0, T^2); one pool, decoded once, per requested combination), or,
with ``spread`` > 1, from ``k`` far apart (in decoded pixels) among the ``spread * k`` best;
Adam runs ``steps`` steps, then ``langevin`` steps of preconditioned Langevin dynamics (pSGLD:
the gradient step plus noise, scaled by a running RMS of the gradients) sample around the
optimum. The result is decoded; for a mask, the composite ``M * y + (1 - M) * D(z)`` is given.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import torch
from torch import Tensor

from plugen.inverse.operators import Operator

log = logging.getLogger(__name__)

PRIORS = ("plugen", "l2", "none")
Decoder = Callable[[Tensor], Tensor]


@dataclass
class SearchSettings:
    """Settings of :func:`solve` (plain values; the workflow's ``inpaint.search`` section)."""

    steps: int = 150
    lr: float = 0.05
    noise: float = 0.05
    temperature: float = 1.0
    candidates: int = 256
    spread: int = 1
    langevin: int = 0
    step_size: float = 0.01
    batch_size: int = 512
    seed: int = 0

    def __post_init__(self) -> None:
        bad = {
            k: v
            for k, v in asdict(self).items()
            if (k in ("steps", "batch_size") and v < 1)
            or (k in ("candidates", "langevin", "seed") and v < 0)
            or (k == "spread" and v < 1)
            or (k in ("lr", "noise", "step_size") and not v > 0)
            or (k == "temperature" and not v >= 0)
        }
        if bad:
            raise ValueError(f"search settings out of range: {bad}")


@dataclass
class SearchResult:
    """Solutions for ``n`` observations, ``k`` each (CPU tensors).

    z: ``(n, k, d)`` latents; images: ``(n, k, C, H, W)`` decodes; filled: the composites for a
    mask (else the decodes); data: ``(n, k)`` the data term; prior: ``(n, k)`` -log p(u);
    history: mean objective per Adam step."""

    z: Tensor
    images: Tensor
    filled: Tensor
    data: Tensor
    prior: Tensor
    history: list[float] = field(default_factory=list)


class _Space:
    """The search variable: its width, starts, map to latents and negative log-prior."""

    def __init__(self, prior: str, latent_dim: int, plugin=None, labels: Tensor | None = None):
        if prior not in PRIORS:
            raise ValueError(f"prior must be one of {PRIORS}, got {prior!r}")
        if prior == "plugen" and plugin is None:
            raise ValueError("prior 'plugen' needs a plugin")
        if labels is not None and prior != "plugen":
            raise ValueError(f"requested attributes need prior 'plugen', got {prior!r}")
        self.prior, self.plugin, self.dim, self.labels = prior, plugin, latent_dim, labels
        # label coordinates (n, k_attr) of the requested values, NaN = free
        self.targets = None if labels is None else plugin.target_coordinates(labels)

    def draw(self, rows: Tensor, temperature: float, gen: torch.Generator) -> Tensor:
        """Starts ``(len(rows), dim)`` for observations ``rows`` (fixed coordinates set)."""
        if self.prior == "plugen":  # the plugin's prior, every attribute drawn
            p = self.plugin
            free = torch.full((len(rows), len(p.attributes)), float("nan"))
            return self.fix(p.prior.sample(free, p.sigma_now, temperature, gen).float(), rows)
        return temperature * torch.randn(len(rows), self.dim, generator=gen)

    def request_groups(self, n: int) -> list[Tensor]:
        """Observations ``0..n-1`` grouped by their requested targets (one group without)."""
        if self.targets is None:
            return [torch.arange(n)]
        codes = torch.nan_to_num(self.targets, nan=float("inf"))
        _, group = torch.unique(codes, dim=0, return_inverse=True)
        return [torch.nonzero(group == g).squeeze(1) for g in range(int(group.max()) + 1)]

    def fix(self, u: Tensor, rows: Tensor) -> Tensor:
        if self.targets is None:
            return u
        t = self.targets[rows.cpu()].to(u.device, u.dtype)
        k = t.shape[1]
        head = torch.where(torch.isnan(t), u[:, :k], t)
        return torch.cat([head, u[:, k:]], 1)

    def latents(self, u: Tensor) -> Tensor:
        return self.plugin.base_to_latents(u) if self.prior == "plugen" else u

    def neg_log_prior(self, u: Tensor, rows: Tensor) -> Tensor:
        if self.prior == "none":
            return u.new_zeros(len(u))
        if self.prior == "l2":
            return 0.5 * u.pow(2).sum(1)
        labels = None if self.labels is None else self.labels[rows.cpu()]
        return -self.plugin.base_log_prob(u, labels)


def _data_term(decoder: Decoder, op: Operator, z: Tensor, y: Tensor, noise: float) -> tuple:
    x = decoder(z)
    pred = op(x)
    if pred.shape != y.shape:
        raise ValueError(
            f"operator returned observations of shape {tuple(pred.shape[1:])}, the observation "
            f"has shape {tuple(y.shape[1:])}"
        )
    return 0.5 * (pred - y).pow(2).flatten(1).sum(1) / noise**2, x


def solve(
    decoder: Decoder,
    y: Tensor,
    operator: Operator,
    *,
    k: int = 1,
    prior: str = "plugen",
    plugin=None,
    labels: Tensor | None = None,
    latent_dim: int | None = None,
    settings: SearchSettings | None = None,
    logger: logging.Logger | None = None,
) -> SearchResult:
    """Find ``k`` latents per observation ``y`` ``(n, ...)`` = ``operator(image)`` (+ noise).

    decoder: ``z (m, d) -> images (m, C, H, W)`` on [0, 1], differentiable, frozen;
    plugin: a fitted :class:`plugen.model.PluGeN` (prior "plugen"); labels: ``(n, k_attr)``
    requested attribute values in user units, NaN = free (plugin only); latent_dim: the
    search width for "l2"/"none" (default the plugin's). The data term is
    ``0.5 |A(D(z)) - y|^2 / noise^2`` (``settings.noise``: the observation noise the decoder
    cannot explain). Observations are searched ``settings.batch_size // k`` at a time; the
    result does not depend on it (Adam and pSGLD act per coordinate, draws are made up front).
    ValueError for ``k < 1``, labels without a plugin or of the wrong shape, or an operator
    whose output does not match ``y``.
    """
    cfg = settings or SearchSettings()
    logger = logger or log
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if len(y) == 0:
        raise ValueError("solve: no observations")
    n, device = len(y), y.device
    dim = latent_dim or (plugin.latent_dim if plugin is not None else None)
    if dim is None:
        raise ValueError("solve: latent_dim is needed without a plugin")
    if labels is not None:
        labels = torch.as_tensor(labels, dtype=torch.float32)
    space = _Space(prior, dim, plugin, labels)
    with torch.no_grad():  # a wrong operator or mask fails here, with one line
        first = torch.zeros(1, dtype=torch.long)
        probe = space.draw(first, 1.0, torch.Generator().manual_seed(0)).to(device)
        _data_term(decoder, operator.select(first), space.latents(probe), y[:1], cfg.noise)
    gen = torch.Generator().manual_seed(cfg.seed)
    starts = _starts(space, decoder, y, operator, k, cfg, gen)  # (k * n, dim), row = j * n + i
    rows = torch.arange(n).repeat(k)
    noises = torch.randn(cfg.langevin, len(starts), dim, generator=gen) if cfg.langevin else None
    u_all = torch.empty_like(starts)
    history = torch.zeros(cfg.steps)
    per = max(1, cfg.batch_size // k) * k
    t0 = time.perf_counter()
    for lo in range(0, len(starts), per):
        idx = torch.arange(lo, min(lo + per, len(starts)))
        r = rows[idx]
        op, target = operator.select(r), y[r.to(device)]
        u = starts[idx].to(device).requires_grad_(True)
        opt = torch.optim.Adam([u], lr=cfg.lr)

        def objective(u: Tensor, r=r, op=op, target=target) -> tuple[Tensor, Tensor]:
            fixed = space.fix(u, r)
            data, _ = _data_term(decoder, op, space.latents(fixed), target, cfg.noise)
            return data, space.neg_log_prior(fixed, r)

        for step in range(cfg.steps):
            for group in opt.param_groups:
                group["lr"] = cfg.lr * 0.5 * (1.0 + math.cos(math.pi * step / cfg.steps))
            data, neg = objective(u)
            loss = data + neg
            (u.grad,) = torch.autograd.grad(loss.sum(), [u])
            opt.step()
            history[step] += float(loss.detach().sum())
        if cfg.langevin:
            u = _langevin(u.detach(), objective, noises[:, idx], cfg)
        with torch.no_grad():
            u_all[idx] = space.fix(u.detach(), r).cpu()
        logger.info(
            "search (%s prior): candidates %d-%d of %d, %.1fs",
            prior,
            lo + 1,
            lo + len(idx),
            len(starts),
            time.perf_counter() - t0,
        )
    return _result(space, decoder, operator, y, u_all, rows, n, k, cfg, history / len(starts))


def _starts(space, decoder, y, operator, k, cfg, gen) -> Tensor:
    """``(k * n, dim)``: per observation the ``k`` best (data term) of ``cfg.candidates``
    prior draws, or ``k`` plain draws without candidates; row ``j * n + i`` is observation
    ``i``'s ``j``-th start. The observations asking for the same attributes share one pool of
    draws, decoded once (:meth:`Operator.data_terms` scores every pair)."""
    n = len(y)
    if cfg.candidates <= k:
        return space.draw(torch.arange(n).repeat(k), cfg.temperature, gen)
    m = min(cfg.candidates, k * cfg.spread)
    starts = torch.empty(k, n, space.dim)
    for obs in space.request_groups(n):
        pool = space.draw(obs[:1].repeat(cfg.candidates), cfg.temperature, gen)
        with torch.no_grad():
            images = torch.cat(
                [
                    decoder(space.latents(pool[lo : lo + cfg.batch_size].to(y.device)))
                    for lo in range(0, len(pool), cfg.batch_size)
                ]
            )
            scores = operator.data_terms(images, y[obs.to(y.device)], obs, cfg.noise).cpu()
        best = scores.topk(m, dim=1, largest=False).indices  # (len(obs), m)
        if m > k:
            best = best.gather(1, _spread_out(images.flatten(1).cpu()[best], k))
        starts[:, obs] = pool[best].transpose(0, 1)
    return starts.reshape(k * n, space.dim)


def _spread_out(images: Tensor, k: int) -> Tensor:
    """Of each observation's ``m`` best candidates (decodes ``(n, m, pixels)``, best first),
    ``k`` far apart: the best, then greedily the one farthest from those chosen. ``(n, k)``
    positions among the ``m``."""
    n = len(images)
    chosen = torch.zeros(n, k, dtype=torch.long)
    nearest = torch.cdist(images, images[:, :1]).squeeze(-1)  # (n, m): distance to the chosen
    for j in range(1, k):
        pick = nearest.argmax(1)
        chosen[:, j] = pick
        far = torch.cdist(images, images[torch.arange(n), pick][:, None]).squeeze(-1)
        nearest = torch.minimum(nearest, far)
    return chosen


def _langevin(u: Tensor, objective, noises: Tensor, cfg: SearchSettings) -> Tensor:
    """pSGLD (Li et al. 2016): ``u -= eta G grad + sqrt(2 eta G) xi`` with ``G`` the inverse
    running RMS of the gradients; ``noises``: ``(steps, m, dim)`` the ``xi``."""
    rms = None
    for step in range(len(noises)):
        u = u.requires_grad_(True)
        data, neg = objective(u)
        (grad,) = torch.autograd.grad((data + neg).sum(), [u])
        u = u.detach()
        sq = grad.pow(2)
        rms = sq if rms is None else 0.99 * rms + 0.01 * sq
        precond = 1.0 / (rms.sqrt() + 1e-5)
        eta = cfg.step_size
        u = u - eta * precond * grad + (2 * eta * precond).sqrt() * noises[step].to(u.device)
    return u


def _result(space, decoder, operator, y, u_all, rows, n, k, cfg, history) -> SearchResult:
    zs, images, data, neg = [], [], [], []
    with torch.no_grad():
        for lo in range(0, len(u_all), cfg.batch_size):
            r = rows[lo : lo + cfg.batch_size]
            u = u_all[lo : lo + cfg.batch_size].to(y.device)
            z = space.latents(u)
            d, x = _data_term(decoder, operator.select(r), z, y[r.to(y.device)], cfg.noise)
            zs.append(z.cpu())
            images.append(x.cpu())
            data.append(d.cpu())
            neg.append(space.neg_log_prior(u, r).cpu())
    z, x = torch.cat(zs), torch.cat(images)
    filled = x
    keep = operator.observed()
    if keep is not None:
        keep = keep.cpu()
        observed = y.cpu()  # a mask's observation is the image with the hidden part zeroed
        m = keep if len(keep) == 1 else keep[rows]
        filled = m * observed[rows] + (1 - m) * x

    def by_obs(t: Tensor) -> Tensor:  # rows j * n + i -> (n, k, ...)
        return t.reshape(k, n, *t.shape[1:]).transpose(0, 1).contiguous()

    return SearchResult(
        z=by_obs(z),
        images=by_obs(x),
        filled=by_obs(filled),
        data=by_obs(torch.cat(data)),
        prior=by_obs(torch.cat(neg)),
        history=history.tolist(),
    )
