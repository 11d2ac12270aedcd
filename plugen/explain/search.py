"""Counterfactual search in a plugin's attribute coordinates (torch and numpy only).

For each input latent z, (c, s) = F^-1(z). A candidate changes some label coordinates c_j and
keeps the style s: a binary attribute moves to its other mode (c_j = -1 <-> +1, the prior's
means), a continuous one to a point of a grid over its bounds (user units, standardized with the
plugin's statistics). The counterfactual is the candidate with the fewest changed attributes
that flips the decision (logit sign), and among those the smallest total change of c.

Subsets of growing size are searched exhaustively up to ``max_exact`` attributes when at most
``exact_attributes`` are allowed (every candidate of one size for every unresolved input in one
decode + decision call); a continuous change is then shrunk by bisection to the smallest step
that still flips. Inputs still unresolved go to a greedy search that adds one change at a time
(up to ``max_changes``), ranking the candidates by the decision's gradient when it has one and
evaluating the best ``beam`` of them. An input no allowed change flips is a result (``flipped``
False, nothing changed), never an error.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from plugen.explain.decision import Decision


@dataclass
class Counterfactuals:
    """One result per input (n inputs, k attributes named in ``attributes``).

    z: counterfactual latents ``(n, d)`` (the input itself where none was found);
    f_before, f_after: logits ``(n,)``; flipped: bool ``(n,)``; changed: per input the names of
    the attributes changed; delta: ``(n, k)`` change of each attribute in user units (binary:
    +1 / -1, continuous: the attribute's units; 0 = unchanged).
    """

    attributes: list[str]
    z: np.ndarray
    f_before: np.ndarray
    f_after: np.ndarray
    flipped: np.ndarray
    changed: list[list[str]]
    delta: np.ndarray

    @property
    def n_changed(self) -> np.ndarray:
        """Number of attributes changed per input, int ``(n,)``."""
        return np.array([len(c) for c in self.changed], dtype=np.int64)


def _target_options(
    plugin, names: Sequence[str], c: Tensor, bounds: Mapping[str, Sequence[float]], grid: int
) -> dict[int, list[Tensor]]:
    """Label-coordinate index -> candidate coded values of that coordinate, each ``(n,)``:
    the other mode for a binary attribute, a grid over the bounds for a continuous one."""
    options: dict[int, list[Tensor]] = {}
    for name in names:
        j = plugin.attributes.index(name)
        if plugin.kinds[name] == "binary":
            options[j] = [torch.where(c[:, j] > 0, -1.0, 1.0)]
            continue
        mean, std = plugin.stats.y_mean[j], plugin.stats.y_std[j]
        lo, hi = bounds.get(name, (mean - 2.0 * std, mean + 2.0 * std))
        values = torch.linspace((lo - mean) / std, (hi - mean) / std, grid)
        options[j] = [torch.full_like(c[:, j], float(v)) for v in values]
    return options


def _check_bounds(plugin, bounds: Mapping[str, Sequence[float]]) -> None:
    for name, b in bounds.items():
        if name not in plugin.attributes:
            raise ValueError(
                f"bounds: unknown attribute {name!r}; the plugin has {plugin.attributes}"
            )
        if plugin.kinds[name] != "continuous":
            raise ValueError(f"bounds: {name!r} is binary; bounds are for continuous attributes")
        if len(b) != 2 or not float(b[0]) < float(b[1]):
            raise ValueError(f"bounds: {name!r} needs [low, high] with low < high, got {list(b)}")


class _Evaluator:
    """Decode candidate coordinates with the input's style and call the decision."""

    def __init__(self, plugin, decision: Decision, s: Tensor) -> None:
        self.plugin, self.decision, self.s = plugin, decision, s

    def latents(self, rows: Tensor, cand: Tensor) -> Tensor:
        """``cand (u, m, k)`` for inputs ``rows (u,)`` -> latents ``(u, m, d)`` (CPU)."""
        u, m, k = cand.shape
        s = self.s[rows][:, None].expand(u, m, -1).reshape(u * m, -1)
        z = self.plugin.decode(cand.reshape(u * m, k), s)
        return torch.as_tensor(z).detach().cpu().reshape(u, m, -1)

    def logits(self, rows: Tensor, cand: Tensor) -> tuple[Tensor, Tensor]:
        """(latents ``(u, m, d)``, logits ``(u, m)``) of candidates ``(u, m, k)``."""
        z = self.latents(rows, cand)
        u, m, d = z.shape
        return z, self.decision(z.reshape(u * m, d)).reshape(u, m)


def explain(
    plugin,
    decision: Decision,
    z: np.ndarray | Tensor,
    attributes: Sequence[str] | None = None,
    bounds: Mapping[str, Sequence[float]] | None = None,
    grid: int = 8,
    max_exact: int = 3,
    exact_attributes: int = 10,
    max_changes: int | None = None,
    beam: int = 8,
    refine_steps: int = 6,
) -> Counterfactuals:
    """Counterfactuals of latents ``z: (n, d)`` for ``decision`` in ``plugin``'s attributes.

    attributes: the attributes allowed to change (default: all of the plugin's); bounds:
    continuous attribute -> (low, high) in user units (default: mean +- 2 standard deviations
    of the training labels); grid: candidate values per continuous attribute; max_exact:
    largest subset size searched exhaustively (when at most ``exact_attributes`` attributes
    are allowed; else 1); max_changes: most attributes the greedy fallback changes (default:
    all allowed); beam: candidates per greedy step evaluated after ranking by gradient;
    refine_steps: bisection steps shrinking a continuous change. Returns
    :class:`Counterfactuals` over the allowed attributes. Raises ValueError for unknown
    attribute names, bad bounds, latents of the wrong width, or a decision model whose output
    is not one logit per input.
    """
    zt = plugin.check_latents(z, "latents")
    names = list(plugin.attributes if attributes is None else attributes)
    unknown = [a for a in names if a not in plugin.attributes]
    if unknown or not names or len(set(names)) != len(names):
        raise ValueError(
            f"attributes: {unknown or names} not a list of distinct attributes of the plugin; "
            f"known: {plugin.attributes}"
        )
    bounds = dict(bounds or {})
    _check_bounds(plugin, bounds)
    n = len(zt)
    c, s = (torch.as_tensor(t).detach().cpu() for t in plugin.encode(zt))
    f0 = decision(zt)
    sign = torch.where(f0 > 0, 1.0, -1.0)  # margin sign * f < 0 <=> flipped
    options = _target_options(plugin, names, c, bounds, grid)
    ev = _Evaluator(plugin, decision, s)

    best_c = c.clone()
    best_f = f0.clone()
    done = torch.zeros(n, dtype=torch.bool)
    exact = max_exact if len(names) <= exact_attributes else 1
    for size in range(1, min(exact, len(names)) + 1):
        rows = torch.nonzero(~done)[:, 0]
        if not len(rows):
            break
        cand = []
        for subset in itertools.combinations(sorted(options), size):
            for choice in itertools.product(*(options[j] for j in subset)):
                cc = c[rows].clone()
                for j, v in zip(subset, choice):
                    cc[:, j] = v[rows]
                cand.append(cc)
        cand_t = torch.stack(cand, 1)  # (u, m, k)
        _, logits = ev.logits(rows, cand_t)
        flips = sign[rows, None] * logits < 0
        cost = (cand_t - c[rows, None]).abs().sum(-1).masked_fill(~flips, float("inf"))
        pick = cost.argmin(1)
        found = flips.any(1)
        rows, pick = rows[found], pick[found]
        best_c[rows] = cand_t[found, pick]
        best_f[rows] = logits[found, pick]
        done[rows] = True
        if refine_steps and len(rows):
            _refine(plugin, ev, c, best_c, best_f, sign, rows, refine_steps)

    limit = len(names) if max_changes is None else min(max_changes, len(names))
    if limit > exact and not done.all():
        _greedy(ev, c, best_c, best_f, done, sign, options, limit, beam)

    z_cf = zt.clone()
    rows = torch.nonzero(done)[:, 0]
    if len(rows):
        z_cf[rows] = ev.latents(rows, best_c[rows, None])[:, 0]
    moved = (best_c != c) & done[:, None]
    return Counterfactuals(
        attributes=names,
        z=z_cf.numpy(),
        f_before=f0.numpy(),
        f_after=torch.where(done, best_f, f0).numpy(),
        flipped=done.numpy(),
        changed=[[a for a in names if moved[i, plugin.attributes.index(a)]] for i in range(n)],
        delta=_user_delta(plugin, names, c, best_c, moved),
    )


def _refine(plugin, ev, c, best_c, best_f, sign, rows, steps) -> None:
    """Shrink the continuous changes of ``rows`` by bisection (t in (0, 1] scales them; the
    binary changes stay), keeping the smallest t that still flips."""
    cont = torch.tensor([plugin.kinds[a] == "continuous" for a in plugin.attributes])
    step = (best_c[rows] - c[rows]) * cont
    rows = rows[step.abs().sum(1) > 0]
    if not len(rows):
        return
    step = (best_c[rows] - c[rows]) * cont
    base = best_c[rows] - step
    lo, hi = torch.zeros(len(rows)), torch.ones(len(rows))
    hi_f = best_f[rows].clone()
    for _ in range(steps):
        mid = (lo + hi) / 2
        _, logits = ev.logits(rows, (base + mid[:, None] * step)[:, None])
        flips = sign[rows] * logits[:, 0] < 0
        hi = torch.where(flips, mid, hi)
        hi_f = torch.where(flips, logits[:, 0], hi_f)
        lo = torch.where(flips, lo, mid)
    best_c[rows] = base + hi[:, None] * step
    best_f[rows] = hi_f


def _greedy(ev, c, best_c, best_f, done, sign, options, limit, beam) -> None:
    """Add one attribute change at a time to the unresolved inputs (up to ``limit`` changes):
    candidates ranked by the decision's first-order margin change when it has gradients, the
    best ``beam`` evaluated; the first flipping one (smallest change) or the one closest to
    flipping is kept."""
    rows = torch.nonzero(~done)[:, 0]
    cur = c[rows].clone()
    used = torch.zeros(cur.shape, dtype=torch.bool)
    slots = [(j, v) for j in sorted(options) for v in options[j]]
    attr = torch.tensor([j for j, _ in slots])
    z_probe = ev.latents(rows[:1], cur[:1, None])[:, 0]
    use_grad = ev.decision.differentiable(z_probe)
    for _ in range(limit):
        if not len(rows):
            return
        cand = cur[:, None].repeat(1, len(slots), 1)
        for m, (j, v) in enumerate(slots):
            cand[:, m, j] = v[rows]
        blocked = used[:, attr]  # (u, m): attribute already changed
        if use_grad and len(slots) > beam:
            zc = ev.latents(rows, cand)
            z_now = ev.latents(rows, cur[:, None])[:, 0].requires_grad_(True)
            with torch.enable_grad():
                margin = sign[rows].to(ev.decision.device) * ev.decision.logits(
                    z_now.to(ev.decision.device)
                )
                (g,) = torch.autograd.grad(margin.sum(), z_now)
            score = ((zc - z_now.detach()[:, None]) * g[:, None]).sum(-1)
            top = score.masked_fill(blocked, float("inf")).topk(beam, 1, largest=False).indices
            cand = torch.gather(cand, 1, top[..., None].expand(-1, -1, cand.shape[-1]))
            blocked = torch.gather(blocked, 1, top)
        _, logits = ev.logits(rows, cand)
        margin = (sign[rows, None] * logits).masked_fill(blocked, float("inf"))
        flips = margin < 0
        cost = (cand - c[rows, None]).abs().sum(-1).masked_fill(~flips, float("inf"))
        pick = torch.where(flips.any(1), cost.argmin(1), margin.argmin(1))
        ar = torch.arange(len(rows))
        cur = cand[ar, pick]
        used = used | (cur != c[rows])
        hit = flips[ar, pick]
        best_c[rows[hit]] = cur[hit]
        best_f[rows[hit]] = logits[ar, pick][hit]
        done[rows[hit]] = True
        rows, cur, used = rows[~hit], cur[~hit], used[~hit]


def _user_delta(plugin, names, c, best_c, moved) -> np.ndarray:
    """Change of each allowed attribute in user units ``(n, len(names))``."""
    out = np.zeros((len(c), len(names)), dtype=np.float32)
    for col, name in enumerate(names):
        j = plugin.attributes.index(name)
        m = moved[:, j].numpy()
        if plugin.kinds[name] == "binary":
            step = (best_c[:, j] > 0).float() - (c[:, j] > 0).float()
        else:
            step = (best_c[:, j] - c[:, j]) * plugin.stats.y_std[j]
        out[:, col] = np.where(m, step.numpy(), 0.0)
    return out
