"""cVAE: a conditional VAE on images (generation only, as in the paper's comparison).

The coded labels with their known mask (:class:`plugen.baselines.base.LabelCoding`, ``(n, 2k)``)
are broadcast as extra input channels of the encoder and concatenated to the decoder's latent.
Loss: Bernoulli reconstruction + KL(q(z | x, y) || N(0, I)). Generation: z ~ N(0, T^2 I) decoded
with the requested labels (unrequested ones drawn from the training marginals).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from plugen.backbones.image_vae import kl_per_dim
from plugen.baselines.base import ArrayLike
from plugen.baselines.image import ConvNetEditor
from plugen.nn import conv_decoder, conv_encoder


class CVAENet(nn.Module):
    """q(z | x, y): ``(n, 3 + c, H, W) -> (mu, logvar)``; p(x | z, y): ``(n, d + c) -> logits``."""

    def __init__(self, size: int, widths: Sequence[int], latent_dim: int, context: int) -> None:
        super().__init__()
        self.encoder = conv_encoder(3 + context, list(widths), size, 2 * latent_dim)
        self.decoder = conv_decoder(latent_dim + context, list(widths)[::-1], size, 3)

    def posterior(self, x: Tensor, ctx: Tensor) -> tuple[Tensor, Tensor]:
        planes = ctx[:, :, None, None].expand(-1, -1, *x.shape[2:])
        mu, logvar = self.encoder(torch.cat([x, planes], 1)).chunk(2, dim=1)
        return mu, logvar.clamp(-12.0, 8.0)

    def decode_logits(self, z: Tensor, ctx: Tensor) -> Tensor:
        return self.decoder(torch.cat([z, ctx], 1))


class CVAE(ConvNetEditor):
    """Conditional VAE image generator (generation only). beta: weight of the KL term."""

    method = "cvae"
    checkpoint_format = "plugen-baseline-cvae"
    checkpoint_version = 1
    tasks = ("generation",)

    def __init__(
        self,
        size: int,
        attributes: Sequence[str],
        kinds: Mapping[str, str] | None = None,
        latent_dim: int = 32,
        widths: Sequence[int] = (32, 64),
        beta: float = 1.0,
        device: str | torch.device = "cpu",
    ) -> None:
        super().__init__(size, attributes, kinds, latent_dim, widths, device, beta=float(beta))

    def build_net(self) -> CVAENet:
        c = self.config
        return CVAENet(c["size"], c["widths"], c["latent_dim"], self.coding.width)

    def loss(self, net: CVAENet, batch: tuple[Tensor, ...]) -> dict[str, Tensor]:
        images, ctx = batch
        x = images.float() / 255.0
        mu, logvar = net.posterior(x, ctx)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        recon = F.binary_cross_entropy_with_logits(net.decode_logits(z, ctx), x, reduction="none")
        recon = recon.flatten(1).sum(1).mean()
        kl = kl_per_dim(mu, logvar).sum(1).mean()
        return {"loss": recon + self.config["beta"] * kl, "recon": recon, "kl": kl}

    @torch.no_grad()
    def generate(
        self,
        values: Mapping[str, float],
        n: int,
        temperature: float = 1.0,
        seed: int | None = None,
    ) -> np.ndarray:
        """``n`` uint8 images ``(n, H, W, 3)`` with the requested attribute ``values``."""
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        ctx = self.coding.context(self.coding.request(values, n, gen))
        z = temperature * torch.randn(n, self.latent_dim, generator=gen)
        self.net.eval()
        logits = self.net.decode_logits(z.to(self.device), ctx.to(self.device))
        return self._images(torch.sigmoid(logits))

    def manipulate(
        self,
        images: np.ndarray,
        values: Mapping[str, float],
        source_labels: ArrayLike | None = None,
    ) -> np.ndarray:
        """Not available: raises NotImplementedError."""
        raise NotImplementedError("cVAE does not manipulate (generation only, as in the paper)")
