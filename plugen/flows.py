"""Coupling flows: NICE (Dinh et al., 2014), the paper's, and affine (RealNVP) couplings.

Convention: ``forward`` maps a backbone latent ``z`` to the PluGeN space ``(c, s)`` and returns
the log-determinant of that map's Jacobian; ``inverse`` maps back. Additive couplings are
volume preserving, so NICE's log-determinant is zero unless the optional diagonal scaling is
used; affine couplings scale the updated half by ``exp(h)``, ``h`` bounded by a tanh, so the
flow can concentrate the label coordinates (spread sigma) where the latent is wide.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def coupling_mlp(in_dim: int, out_dim: int, hidden: int, n_layers: int) -> nn.Sequential:
    """MLP with ``n_layers`` linear layers (LeakyReLU 0.1 between them), as in the paper."""
    if n_layers < 1:
        raise ValueError(f"n_layers must be >= 1, got {n_layers}")
    dims = [in_dim] + [hidden] * (n_layers - 1) + [out_dim]
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(dims[:-1], dims[1:])):
        layers.append(nn.Linear(a, b))
        if i < n_layers - 1:
            layers.append(nn.LeakyReLU(0.1))
    return nn.Sequential(*layers)


class AdditiveCoupling(nn.Module):
    """y_b = x_b + m(x_a), y_a = x_a, where (a, b) = (even, odd) indices or the reverse.

    parity 0: the even coordinates condition the odd ones; parity 1: the other way round.
    context: width of an optional conditioning vector fed to m beside x_a (a conditional flow).
    The halves are strided views (``x[:, 0::2]``), not index gathers: the same outputs with fewer
    copies (gradients round differently, so training is not bit-identical to the gather version).
    """

    def __init__(self, dim: int, hidden: int, n_layers: int, parity: int, context: int = 0) -> None:
        super().__init__()
        if dim < 2:
            raise ValueError(f"a coupling layer needs at least 2 dimensions, got {dim}")
        self.parity = parity % 2
        n_even = (dim + 1) // 2
        n_cond, n_upd = (n_even, dim - n_even) if self.parity == 0 else (dim - n_even, n_even)
        self.n_upd = n_upd
        self.shift = coupling_mlp(n_cond + context, self.width * n_upd, hidden, n_layers)

    width = 1  # outputs of the coupling net per updated coordinate

    def _net(self, cond: Tensor, context: Tensor | None) -> Tensor:
        return self.shift(cond if context is None else torch.cat([cond, context], 1))

    def _split(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(conditioning half, updated half) of ``x: (n, dim)``."""
        even, odd = x[:, 0::2], x[:, 1::2]
        return (even, odd) if self.parity == 0 else (odd, even)

    def _merge(self, cond: Tensor, upd: Tensor) -> Tensor:
        """Interleave the halves back into ``(n, dim)``: inverse of :meth:`_split`."""
        even, odd = (cond, upd) if self.parity == 0 else (upd, cond)
        n_odd = odd.shape[1]
        pairs = torch.stack((even[:, :n_odd], odd), dim=2).flatten(1)
        return pairs if even.shape[1] == n_odd else torch.cat((pairs, even[:, n_odd:]), dim=1)

    def forward_logdet(self, x: Tensor, context: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """``(y, log|det dy/dx|)`` for ``x: (n, dim)`` (additive: volume preserving)."""
        cond, upd = self._split(x)
        return self._merge(cond, upd + self._net(cond, context)), x.new_zeros(len(x))

    def forward(self, x: Tensor, context: Tensor | None = None) -> Tensor:
        return self.forward_logdet(x, context)[0]

    def inverse(self, y: Tensor, context: Tensor | None = None) -> Tensor:
        cond, upd = self._split(y)
        return self._merge(cond, upd - self._net(cond, context))


class AffineCoupling(AdditiveCoupling):
    """y_b = x_b * exp(h(x_a)) + t(x_a), y_a = x_a (RealNVP), with h = bound * tanh(raw / bound)
    so a scale never explodes; log|det| = sum h. Starts as the identity (last layer zero)."""

    bound = 2.0
    width = 2

    def __init__(self, dim: int, hidden: int, n_layers: int, parity: int, context: int = 0) -> None:
        super().__init__(dim, hidden, n_layers, parity, context)
        nn.init.zeros_(self.shift[-1].weight)
        nn.init.zeros_(self.shift[-1].bias)

    def _scale_shift(self, cond: Tensor, context: Tensor | None) -> tuple[Tensor, Tensor]:
        raw, shift = self._net(cond, context).chunk(2, dim=1)
        return self.bound * torch.tanh(raw / self.bound), shift

    def forward_logdet(self, x: Tensor, context: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """``(y, log|det dy/dx|)`` for ``x: (n, dim)``."""
        cond, upd = self._split(x)
        h, shift = self._scale_shift(cond, context)
        return self._merge(cond, upd * torch.exp(h) + shift), h.sum(1)

    def inverse(self, y: Tensor, context: Tensor | None = None) -> Tensor:
        cond, upd = self._split(y)
        h, shift = self._scale_shift(cond, context)
        return self._merge(cond, (upd - shift) * torch.exp(-h))


COUPLINGS = {"nice": AdditiveCoupling, "affine": AffineCoupling}


class NICE(nn.Module):
    """Stack of ``n_couplings`` couplings (alternating masks), optional diagonal scaling, after
    an optional fixed whitening.

    dim: width of the latent; coupling: ``"nice"`` (additive, the paper's) or ``"affine"``;
    context: width of a conditioning vector every coupling net also reads (0: none; a
    conditional flow of the same family, the rival that tells what PluGeN's prior buys);
    whiten: first map x by a fixed symmetric ``C^(-1/2)`` of the data's covariance C (set by
    :meth:`set_whitening`; identity until then), so a volume-preserving flow sees unit
    covariance (a thin latent manifold is not spread over the whole of N(0, I));
    forward ``(n, dim) -> ((n, dim), (n,))`` log|det J|. Raises ValueError for an unknown
    coupling or fewer than one coupling.
    """

    def __init__(
        self,
        dim: int,
        n_couplings: int = 4,
        n_layers: int = 4,
        hidden: int = 256,
        scaling: bool = False,
        coupling: str = "nice",
        context: int = 0,
        whiten: bool = False,
    ) -> None:
        super().__init__()
        if n_couplings < 1:
            raise ValueError(f"n_couplings must be >= 1, got {n_couplings}")
        if coupling not in COUPLINGS:
            raise ValueError(f"coupling must be one of {sorted(COUPLINGS)}, got {coupling!r}")
        self.dim = dim
        layer = COUPLINGS[coupling]
        self.couplings = nn.ModuleList(
            layer(dim, hidden, n_layers, parity=i, context=context) for i in range(n_couplings)
        )
        self.log_scale = nn.Parameter(torch.zeros(dim)) if scaling else None
        self.whiten = whiten
        if whiten:
            self.register_buffer("whitener", torch.eye(dim))
            self.register_buffer("unwhitener", torch.eye(dim))
            self.register_buffer("whiten_logdet", torch.zeros(()))

    @torch.no_grad()
    def set_whitening(self, cov: Tensor, floor: float = 0.0) -> None:
        """Set the fixed whitening from a covariance ``(dim, dim)``: eigenvalues below
        ``floor`` (and below 1e-6 times the largest) are raised to it, so directions the data
        hardly spans are stretched at most ``floor ** -0.5`` times. Raises ValueError for a
        flow built without ``whiten`` or a covariance of another shape."""
        if not self.whiten:
            raise ValueError("set_whitening: the flow was built without whiten=True")
        if cov.shape != (self.dim, self.dim):
            raise ValueError(
                f"set_whitening: cov has shape {tuple(cov.shape)}, expected "
                f"({self.dim}, {self.dim})"
            )
        eigval, eigvec = torch.linalg.eigh(cov.double())
        eigval = eigval.clamp_min(max(floor, 1e-6 * float(eigval.max())))
        self.whitener.copy_((eigvec * eigval.rsqrt()) @ eigvec.T)
        self.unwhitener.copy_((eigvec * eigval.sqrt()) @ eigvec.T)
        self.whiten_logdet.fill_(float(-0.5 * eigval.log().sum()))

    def _check(self, x: Tensor) -> None:
        if x.ndim != 2 or x.shape[1] != self.dim:
            raise ValueError(f"NICE expects inputs of shape (n, {self.dim}), got {tuple(x.shape)}")

    def forward(self, x: Tensor, context: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Map ``x: (n, dim)`` (given ``context: (n, c)`` when conditional) to
        ``(y, log|det dy/dx|)`` with shapes (n, dim) and (n,)."""
        self._check(x)
        logdet = x.new_zeros(x.shape[0])
        if self.whiten:
            x = x @ self.whitener.T
            logdet = logdet + self.whiten_logdet
        for layer in self.couplings:
            x, ld = layer.forward_logdet(x, context)
            logdet = logdet + ld
        if self.log_scale is not None:
            x = x * torch.exp(self.log_scale)
            logdet = logdet + self.log_scale.sum()
        return x, logdet

    def inverse(self, y: Tensor, context: Tensor | None = None) -> Tensor:
        """Exact inverse of :meth:`forward`: ``(n, dim) -> (n, dim)``."""
        self._check(y)
        if self.log_scale is not None:
            y = y * torch.exp(-self.log_scale)
        for layer in reversed(self.couplings):
            y = layer.inverse(y, context)
        if self.whiten:
            y = y @ self.unwhitener.T
        return y

    def log_abs_det(self, x: Tensor, context: Tensor | None = None) -> Tensor:
        """log|det J| of :meth:`forward` at ``x``: shape (n,)."""
        return self.forward(x, context)[1]
