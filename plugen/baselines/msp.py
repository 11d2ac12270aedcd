"""MSP (Li et al., 2020): an autoencoder whose latent is factorised by a matrix subspace projection.

A learned matrix M ``(k, d)`` reads the labels off the latent: y ~ M z. Training minimises
reconstruction + lambda * (||M z - y||^2 + ||N z||^2), N spanning the orthogonal complement of
M's rows (computed exactly: ||N z||^2 = ||z||^2 - ||Q^T z||^2, Q an orthonormal basis of the rows
of M), over coded labels (binary -1/+1, continuous standardized; unknown entries skipped).
Editing moves only the label subspace: z' = z + M^+ (y_target - M z), y_target = M z with the
requested entries replaced. MSP does not generate (manipulation only, as in the paper).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from plugen.baselines.base import ArrayLike
from plugen.baselines.image import ConvNetEditor
from plugen.nn import conv_decoder, conv_encoder


class MSPNet(nn.Module):
    """Encoder ``(n, 3, H, W) -> (n, d)``, decoder back to logits, label matrix M ``(k, d)``."""

    def __init__(self, size: int, widths: Sequence[int], latent_dim: int, n_labels: int) -> None:
        super().__init__()
        self.encoder = conv_encoder(3, list(widths), size, latent_dim)
        self.decoder = conv_decoder(latent_dim, list(widths)[::-1], size, 3)
        self.M = nn.Parameter(torch.randn(n_labels, latent_dim) / latent_dim**0.5)

    def msp_terms(self, z: Tensor, coded: Tensor, known: Tensor) -> tuple[Tensor, Tensor]:
        """Per-example ||M z - y||^2 over known labels and ||N z||^2, both ``(n,)``."""
        y_hat = z @ self.M.T
        label = ((y_hat - coded) ** 2 * known).sum(1)
        q, _ = torch.linalg.qr(self.M.T)  # (d, k): orthonormal basis of M's row space
        rest = (z**2).sum(1) - ((z @ q) ** 2).sum(1)
        return label, rest.clamp_min(0.0)


class MSP(ConvNetEditor):
    """MSP image editor (manipulation only). lam: weight of the MSP loss.

    size: image side; latent_dim: autoencoder latent width d (> number of attributes).
    """

    method = "msp"
    checkpoint_format = "plugen-baseline-msp"
    checkpoint_version = 1
    tasks = ("manipulation",)

    def __init__(
        self,
        size: int,
        attributes: Sequence[str],
        kinds: Mapping[str, str] | None = None,
        latent_dim: int = 32,
        widths: Sequence[int] = (32, 64),
        lam: float = 1.0,
        device: str | torch.device = "cpu",
    ) -> None:
        if latent_dim <= len(attributes):
            raise ValueError(
                f"MSP: latent_dim ({latent_dim}) must exceed the number of attributes "
                f"({len(attributes)})"
            )
        super().__init__(size, attributes, kinds, latent_dim, widths, device, lam=float(lam))

    def build_net(self) -> MSPNet:
        c = self.config
        return MSPNet(c["size"], c["widths"], c["latent_dim"], len(self.attributes))

    def loss(self, net: MSPNet, batch: tuple[Tensor, ...]) -> dict[str, Tensor]:
        images, ctx = batch
        x = images.float() / 255.0
        k = len(self.attributes)
        z = net.encoder(x)
        recon = F.binary_cross_entropy_with_logits(net.decoder(z), x, reduction="none")
        recon = recon.flatten(1).sum(1).mean()
        label, rest = net.msp_terms(z, ctx[:, :k], ctx[:, k:])
        msp = (label + rest).mean()
        return {
            "loss": recon + self.config["lam"] * msp,
            "recon": recon,
            "msp_label": label.mean(),
            "msp_rest": rest.mean(),
        }

    @torch.no_grad()
    def encode(self, images: np.ndarray) -> Tensor:
        """uint8 images ``(n, H, W, 3)`` -> latents ``(n, d)``."""
        self.net.eval()
        return self.net.encoder(self._pixels(images, "msp.encode")).cpu()

    @torch.no_grad()
    def read_labels(self, images: np.ndarray) -> np.ndarray:
        """M z of the images ``(n, k)``, in coded units (binary -1/+1, continuous standardized)."""
        return (self.encode(images) @ self.net.M.detach().cpu().T).numpy()

    @torch.no_grad()
    def edit_latents(self, z: Tensor, values: Mapping[str, float]) -> Tensor:
        """z' = z + M^+ (y_target - M z): latents ``(n, d)`` with the requested labels set."""
        values = self.coding.check_values(values, "manipulate")
        m = self.net.M.detach().cpu()
        y = z @ m.T
        target = y.clone()
        for name, v in values.items():
            target[:, self.attributes.index(name)] = self.coding.target(name, v)
        return z + (target - y) @ torch.linalg.pinv(m).T

    @torch.no_grad()
    def manipulate(
        self,
        images: np.ndarray,
        values: Mapping[str, float],
        source_labels: ArrayLike | None = None,
    ) -> np.ndarray:
        """uint8 images ``(n, H, W, 3)`` -> edited images (``source_labels`` is not needed)."""
        z = self.edit_latents(self.encode(images), values)
        return self._images(torch.sigmoid(self.net.decoder(z.to(self.device))))

    def generate(
        self,
        values: Mapping[str, float],
        n: int,
        temperature: float = 1.0,
        seed: int | None = None,
    ) -> np.ndarray:
        """Not available: raises NotImplementedError."""
        raise NotImplementedError("MSP does not generate (manipulation only, as in the paper)")
