"""The PluGeN prior p(c, s | y) over label coordinates c (one per attribute) and style s.

Binary attribute i: c_i | y_i=1 ~ N(+1, sigma), c_i | y_i=0 ~ N(-1, sigma); unknown y_i (NaN):
the mixture 1/2 N(-1, sigma) + 1/2 N(+1, sigma). Continuous attribute (already standardized):
c_i | y_i ~ N(y_i, sigma); unknown: N(0, 1). Style: s ~ N(0, I). ``sigma`` is a standard
deviation. Class-balanced sigma (as in the authors' code) widens the frequent class:
sigma_{i,1} = sigma * sqrt(2 p_i), sigma_{i,0} = sigma * sqrt(2 (1 - p_i)), p_i = P(y_i = 1).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor

KINDS = ("binary", "continuous")
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def normal_log_prob(x: Tensor, mean: Tensor | float, std: Tensor | float) -> Tensor:
    """Elementwise log N(x; mean, std^2)."""
    std = torch.as_tensor(std, dtype=x.dtype, device=x.device)
    return -0.5 * ((x - mean) / std) ** 2 - torch.log(std) - _LOG_SQRT_2PI


def sigma_schedule(sigma0: float, decay: float, epoch: int, floor: float) -> float:
    """sigma_t = max(sigma0 * decay**epoch, floor)."""
    return max(sigma0 * decay**epoch, floor)


class PluGeNPrior:
    """log p(c, s | y) for ``kinds`` (one per label coordinate) and ``style_dim`` style coords.

    pos_rate: P(y_i = 1) per attribute (used by class-balanced sigma and to sample unspecified
    binary attributes); NaN/ignored for continuous ones.
    """

    def __init__(
        self,
        kinds: Sequence[str],
        style_dim: int,
        sigma: float = 0.4,
        class_balanced: bool = False,
        pos_rate: Sequence[float] | None = None,
    ) -> None:
        bad = [k for k in kinds if k not in KINDS]
        if bad:
            raise ValueError(f"attribute kinds must be 'binary' or 'continuous', got {bad}")
        if sigma <= 0:
            raise ValueError(f"sigma must be > 0, got {sigma}")
        self.kinds = list(kinds)
        self.style_dim = int(style_dim)
        self.sigma = float(sigma)
        self.class_balanced = class_balanced
        k = len(self.kinds)
        self.pos_rate = (
            torch.full((k,), 0.5, dtype=torch.float64)
            if pos_rate is None
            else torch.as_tensor(pos_rate, dtype=torch.float64)
            .nan_to_num(0.5)
            .clamp(1e-3, 1 - 1e-3)
        )
        self.is_binary = torch.tensor([kd == "binary" for kd in self.kinds], dtype=torch.bool)

    @property
    def n_labels(self) -> int:
        return len(self.kinds)

    def class_sigmas(self, sigma: float | None = None) -> tuple[Tensor, Tensor]:
        """(sigma for y=0, sigma for y=1) per attribute, shape (k,) each."""
        sigma = self.sigma if sigma is None else sigma
        s = torch.full((self.n_labels,), sigma, dtype=torch.float64)
        if not self.class_balanced:
            return s, s
        s1 = torch.where(self.is_binary, s * torch.sqrt(2 * self.pos_rate), s)
        s0 = torch.where(self.is_binary, s * torch.sqrt(2 * (1 - self.pos_rate)), s)
        return s0, s1

    def label_log_prob(self, c: Tensor, y: Tensor, sigma: float | None = None) -> Tensor:
        """Per-coordinate log p(c_i | y_i): ``c, y: (n, k)`` (y NaN = unknown) -> (n, k)."""
        dev, dt = c.device, c.dtype
        s0, s1 = (t.to(dev, dt) for t in self.class_sigmas(sigma))
        binary = self.is_binary.to(dev)
        known = ~torch.isnan(y)
        y0 = torch.nan_to_num(y, nan=0.0)
        # binary, known: N(+-1, sigma_class)
        sign = 2.0 * y0 - 1.0
        std_b = torch.where(y0 > 0.5, s1, s0)
        lp_bin_known = normal_log_prob(c, sign, std_b)
        # binary, unknown: 1/2 N(-1, s0) + 1/2 N(+1, s1)
        lp_bin_unknown = torch.logaddexp(
            normal_log_prob(c, -1.0, s0), normal_log_prob(c, 1.0, s1)
        ) - math.log(2.0)
        # continuous: N(y_std, sigma) known, N(0, 1) unknown
        lp_cont_known = normal_log_prob(c, y0, s1)
        lp_cont_unknown = normal_log_prob(c, 0.0, 1.0)
        lp_bin = torch.where(known, lp_bin_known, lp_bin_unknown)
        lp_cont = torch.where(known, lp_cont_known, lp_cont_unknown)
        return torch.where(binary, lp_bin, lp_cont)

    def log_prob(self, cs: Tensor, y: Tensor, sigma: float | None = None) -> tuple[Tensor, Tensor]:
        """(label term, style term) of log p(c, s | y): ``cs: (n, k + style_dim)`` -> two (n,)."""
        k = self.n_labels
        if cs.shape[1] != k + self.style_dim:
            raise ValueError(f"prior expects width {k + self.style_dim}, got {cs.shape[1]}")
        if y.shape != (cs.shape[0], k):
            raise ValueError(f"labels must have shape ({cs.shape[0]}, {k}), got {tuple(y.shape)}")
        c, s = cs[:, :k], cs[:, k:]
        label = self.label_log_prob(c, y, sigma).sum(1)
        style = normal_log_prob(s, 0.0, 1.0).sum(1)
        return label, style

    def sample(
        self,
        y: Tensor,
        sigma: float | None = None,
        temperature: float = 1.0,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        """Draw ``(n, k + style_dim)`` given coded labels ``y: (n, k)``.

        NaN entries are sampled from the prior marginal: binary y ~ Bernoulli(pos_rate),
        continuous c ~ N(0, 1). ``temperature`` scales the conditional prior's spread around the
        labels, as a conditional flow's temperature scales its whole base distribution: label
        coordinates c_i ~ N(m(y_i), (temperature * sigma)^2), style s ~ N(0, temperature^2 I);
        1 is the paper's p(c, s | y), 0 its mode given the requested labels (an unrequested
        continuous attribute is still drawn from N(0, 1)).
        """
        n, k = y.shape
        y = y.clone()
        unknown = torch.isnan(y)
        draw = (torch.rand(n, k, generator=generator) < self.pos_rate).float()
        fill_binary = unknown & self.is_binary
        y[fill_binary] = draw[fill_binary]
        s0, s1 = self.class_sigmas(sigma)
        y0 = torch.nan_to_num(y, nan=0.0)
        mean = torch.where(self.is_binary, 2.0 * y0 - 1.0, y0)
        std = torch.where(y0 > 0.5, s1, s0)
        std = torch.where(self.is_binary, std, s1)
        cont_unknown = unknown & ~self.is_binary
        mean = torch.where(cont_unknown, torch.zeros_like(mean), mean)
        std = torch.where(cont_unknown, torch.ones_like(std), temperature * std)
        c = (mean + std * torch.randn(n, k, generator=generator)).float()
        s = temperature * torch.randn(n, self.style_dim, generator=generator)
        return torch.cat([c, s], dim=1)
