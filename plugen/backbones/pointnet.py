"""PointNet backbones for point clouds: an autoencoder (the latents PluGeN edits) and an attribute
classifier (the learned half of a judge), built from one shared-MLP-and-max-pool encoder.

Clouds in memory are float32 arrays ``(n, P, 3)``; the models see float tensors of that shape.
The encoder applies the same MLP (linear, batch norm, ReLU) to every point and max-pools over the
points, so it accepts any number of points in any order. The autoencoder (Achlioptas et al.
2018) maps the pooled features to a latent ``(n, latent_dim)`` and an MLP decodes it to
``(n, n_points, 3)``; it is trained with the Chamfer distance of
:mod:`plugen.evaluate.pointcloud` through :func:`plugen.train.train`. With ``latent_noise`` > 0
the decoder learns to reconstruct from latents perturbed by Gaussian noise of that many
standard deviations of the batch's latents (per dimension), so the latent space is smooth around
the encodings and the encoder acts as a posterior ``N(z, (latent_noise * std)^2)``
(:func:`latent_spread`), which the plugin then trains on, as on a VAE's.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from functools import partial

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from plugen.checkpoint import ConfigCheckpoint
from plugen.evaluate.classifier import AttributeOutputs, attribute_loss, classifier_targets
from plugen.evaluate.pointcloud import chamfer_batch
from plugen.nn import map_batches, module_device
from plugen.train import History, TrainConfig, seed_everything, train

log = logging.getLogger(__name__)

AE_FORMAT = "plugen-pointnet-autoencoder"
CLASSIFIER_FORMAT = "plugen-pointnet-classifier"
FORMAT_VERSION = 1


def check_clouds(clouds, where: str, n_points: int | None = None) -> np.ndarray:
    """Validate clouds ``(n, P, 3)`` (P = ``n_points`` when given) as float32; raise a one-line
    ValueError naming ``where`` otherwise."""
    clouds = np.asarray(clouds)
    if clouds.ndim != 3 or clouds.shape[-1] != 3 or clouds.shape[1] == 0:
        raise ValueError(f"{where}: clouds have shape {clouds.shape}, expected (n, P, 3)")
    if n_points is not None and clouds.shape[1] != n_points:
        raise ValueError(f"{where}: clouds have {clouds.shape[1]} points, expected {n_points}")
    return clouds.astype(np.float32, copy=False)


class PointEncoder(nn.Module):
    """Shared per-point MLP and max-pool: ``(n, P, 3)`` -> ``(n, widths[-1])``."""

    def __init__(self, widths: Sequence[int]) -> None:
        super().__init__()
        sizes = [3, *widths]
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.norms = nn.ModuleList(nn.BatchNorm1d(b) for b in sizes[1:])

    def forward(self, x: Tensor) -> Tensor:
        n, p, _ = x.shape
        h = x.reshape(n * p, 3)
        for linear, norm in zip(self.linears, self.norms):
            h = F.relu(norm(linear(h)))
        return h.reshape(n, p, -1).amax(1)


def mlp(sizes: Sequence[int]) -> nn.Sequential:
    """Linear layers of ``sizes`` with ReLU between them (none after the last)."""
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def _check_input(x: Tensor, where: str) -> None:
    if x.ndim != 3 or x.shape[-1] != 3 or x.shape[1] == 0:
        raise ValueError(f"{where}: x has shape {tuple(x.shape)}, expected (n, P, 3)")


# --------------------------------------------------------------------------- autoencoder
class PointNetAE(ConfigCheckpoint, nn.Module):
    """PointNet autoencoder: clouds ``(n, P, 3)`` -> latents ``(n, latent_dim)`` -> clouds
    ``(n, n_points, 3)``.

    widths: the per-point MLP's widths (the last is the pooled feature width); decoder_widths:
    hidden widths of the decoder MLP; latent_noise: the training noise on the latents, in
    standard deviations of the batch's latents (0: a plain autoencoder).
    """

    checkpoint_format, checkpoint_version = AE_FORMAT, FORMAT_VERSION
    checkpoint_what = "PointNet autoencoder"

    def __init__(
        self,
        n_points: int = 512,
        latent_dim: int = 128,
        widths: Sequence[int] = (64, 128, 256),
        decoder_widths: Sequence[int] = (256, 256),
        latent_noise: float = 0.0,
    ) -> None:
        super().__init__()
        if not 32 <= latent_dim <= 128:
            raise ValueError(f"PointNetAE: latent_dim must be in [32, 128], got {latent_dim}")
        if latent_noise < 0:
            raise ValueError(f"PointNetAE: latent_noise must be >= 0, got {latent_noise}")
        self.config = {
            "n_points": n_points,
            "latent_dim": latent_dim,
            "widths": list(widths),
            "decoder_widths": list(decoder_widths),
            "latent_noise": float(latent_noise),
        }
        self.n_points, self.latent_dim = n_points, latent_dim
        self.latent_noise = float(latent_noise)
        self.encoder = PointEncoder(widths)
        self.to_latent = nn.Linear(widths[-1], latent_dim)
        self.decoder = mlp([latent_dim, *decoder_widths, 3 * n_points])

    def encode(self, x: Tensor) -> Tensor:
        """x: ``(n, P, 3)`` (any P) -> latents ``(n, latent_dim)``."""
        _check_input(x, "PointNetAE.encode")
        return self.to_latent(self.encoder(x))

    def decode(self, z: Tensor) -> Tensor:
        """z: ``(n, latent_dim)`` -> clouds ``(n, n_points, 3)``."""
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(
                f"PointNetAE.decode: z has shape {tuple(z.shape)}, expected (n, {self.latent_dim})"
            )
        return self.decoder(z).reshape(len(z), self.n_points, 3)

    def forward(self, x: Tensor) -> Tensor:
        """x: ``(n, P, 3)`` -> reconstructions ``(n, n_points, 3)`` (in training mode, from the
        latents plus the ``latent_noise``)."""
        z = self.encode(x)
        if self.training and self.latent_noise > 0 and len(z) > 1:
            z = z + self.latent_noise * z.std(0).detach() * torch.randn_like(z)
        return self.decode(z)


def point_subset(x: Tensor, k: int | None) -> Tensor:
    """``k`` of the points of every cloud of ``x`` ``(n, P, 3)``, drawn at random (torch's
    generator; the same draw for the whole batch): ``(n, k, 3)``; ``x`` itself when ``k`` is
    None or not below P."""
    if k is None or k >= x.shape[1]:
        return x
    return x[:, torch.randperm(x.shape[1], device=x.device)[:k]]


def chamfer_loss(
    ae: PointNetAE, batch: tuple[Tensor, ...], points: int | None = None
) -> dict[str, Tensor]:
    """Mean Chamfer distance between a batch of clouds ``(b, P, 3)`` and their reconstructions;
    in training mode with ``points``, of a random subset of that many points of each cloud (the
    encoder's input and the Chamfer target)."""
    x = point_subset(batch[0], points if ae.training else None)
    return {"loss": chamfer_batch(ae(x), x).mean()}


def fit_autoencoder(
    clouds: np.ndarray,
    cfg: TrainConfig,
    ae_kwargs: dict | None = None,
    device: torch.device | str = "cpu",
    *,
    val_clouds: np.ndarray | None = None,
    history: History | None = None,
    train_points: int | None = None,
) -> tuple[PointNetAE, History]:
    """Train a :class:`PointNetAE` on clouds ``(n, P, 3)`` with :func:`plugen.train.train`
    (Chamfer loss). ae_kwargs: its arguments (``n_points`` defaults to P). val_clouds: the
    early-stopping set (else a ``cfg.val_fraction`` split). train_points: each training step
    sees a random subset of that many points of each cloud (faster; validation sees them all).
    """
    clouds = check_clouds(clouds, "fit_autoencoder")
    seed_everything(cfg.seed)  # seeded weight init
    ae = PointNetAE(**{"n_points": clouds.shape[1], **(ae_kwargs or {})})
    val = None
    if val_clouds is not None:
        val = [torch.from_numpy(check_clouds(val_clouds, "fit_autoencoder", ae.n_points))]
    history = train(
        ae,
        partial(chamfer_loss, points=train_points),
        [torch.from_numpy(check_clouds(clouds, "fit_autoencoder", ae.n_points))],
        cfg,
        val_data=val,
        device=device,
        history=history if history is not None else History("pointnet_ae", log),
    )
    return ae, history


def encode_clouds(ae: PointNetAE, clouds: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Clouds ``(n, P, 3)`` -> latents float32 ``(n, latent_dim)``."""
    clouds = check_clouds(clouds, "encode_clouds")
    ae.eval()
    return map_batches(ae.encode, clouds, batch_size, module_device(ae)).reshape(-1, ae.latent_dim)


def decode_latents(ae: PointNetAE, z: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Latents ``(n, latent_dim)`` -> clouds float32 ``(n, n_points, 3)``."""
    z = np.asarray(z, dtype=np.float32)
    if z.ndim != 2 or z.shape[1] != ae.latent_dim:
        raise ValueError(f"decode_latents: z has shape {z.shape}, expected (n, {ae.latent_dim})")
    ae.eval()
    return map_batches(ae.decode, z, batch_size, module_device(ae)).reshape(-1, ae.n_points, 3)


def latent_spread(ae: PointNetAE, train_z: np.ndarray, n: int) -> np.ndarray | None:
    """The posterior spread ``(n, latent_dim)`` float32 of latents of an autoencoder trained
    with ``latent_noise``: that many standard deviations (per dimension) of its training
    latents ``train_z`` ``(m, latent_dim)``, the same for every row; None for a plain one."""
    if ae.latent_noise == 0:
        return None
    std = ae.latent_noise * np.asarray(train_z, dtype=np.float64).std(0)
    return np.broadcast_to(std.astype(np.float32), (n, ae.latent_dim)).copy()


def reconstruction_chamfer(ae: PointNetAE, clouds: np.ndarray, batch_size: int = 256) -> float:
    """Mean Chamfer distance between clouds ``(n, P, 3)`` and their reconstructions."""
    clouds = check_clouds(clouds, "reconstruction_chamfer")
    ae.eval()
    cd = map_batches(lambda x: chamfer_batch(ae(x), x), clouds, batch_size, module_device(ae))
    return float(cd.astype(np.float64).mean())


# --------------------------------------------------------------------------- classifier
class PointNetClassifier(AttributeOutputs, ConfigCheckpoint, nn.Module):
    """PointNet ``(n, P, 3)`` -> raw outputs ``(n, k)``, one per attribute: a logit for binary
    attributes, a standardized value for continuous ones (``mean``/``std`` per attribute).

    kinds: ``{attribute: "binary" | "continuous"}`` (order = output order); widths: the
    per-point MLP; head_widths: hidden widths of the MLP on the pooled features.
    """

    checkpoint_format, checkpoint_version = CLASSIFIER_FORMAT, FORMAT_VERSION
    checkpoint_what = "PointNet classifier"

    def __init__(
        self,
        kinds: Mapping[str, str],
        widths: Sequence[int] = (64, 128, 256),
        head_widths: Sequence[int] = (128,),
        mean: Mapping[str, float] | None = None,
        std: Mapping[str, float] | None = None,
    ) -> None:
        super().__init__()
        stats = self._attribute_outputs(kinds, mean, std, "PointNetClassifier")
        self.config = {
            "kinds": dict(kinds),
            "widths": list(widths),
            "head_widths": list(head_widths),
            **stats,
        }
        self.encoder = PointEncoder(widths)
        self.head = mlp([widths[-1], *head_widths, len(kinds)])

    def forward(self, x: Tensor) -> Tensor:
        """x: ``(n, P, 3)`` -> logits / standardized values ``(n, k)``."""
        _check_input(x, "PointNetClassifier")
        return self.head(self.encoder(x))

    def predict(self, clouds: np.ndarray, batch_size: int = 256) -> pd.DataFrame:
        """Clouds ``(n, P, 3)`` -> DataFrame with one ``pred_<attr>`` column per attribute."""
        clouds = check_clouds(clouds, "PointNetClassifier.predict")
        self.eval()
        out = map_batches(self.outputs, clouds, batch_size, module_device(self))
        out = out.reshape(len(clouds), len(self.kinds))
        return pd.DataFrame({f"pred_{a}": out[:, i] for i, a in enumerate(self.kinds)})


def classifier_loss(
    clf: PointNetClassifier, batch: tuple[Tensor, ...], points: int | None = None
) -> dict[str, Tensor]:
    """The attribute classifiers' loss (:func:`plugen.evaluate.classifier.attribute_loss`) of a
    batch of clouds ``(b, P, 3)`` and labels ``(b, k)`` (NaN masked); in training mode with
    ``points``, on a random subset of that many points of each cloud."""
    x, y = batch
    return attribute_loss(clf, clf(point_subset(x, points if clf.training else None)), y)


def fit_point_classifier(
    clouds: np.ndarray,
    labels: pd.DataFrame,
    kinds: Mapping[str, str],
    cfg: TrainConfig,
    device: torch.device | str = "cpu",
    *,
    clf_kwargs: dict | None = None,
    history: History | None = None,
    train_points: int | None = None,
) -> tuple[PointNetClassifier, History]:
    """Train a :class:`PointNetClassifier` on clouds ``(n, P, 3)`` and ``labels`` (one column
    per attribute of ``kinds``, rows aligned, NaN = unknown, binary 0/1); train_points as
    :func:`fit_autoencoder`. Raises ValueError for misaligned rows, missing columns or binary
    values other than 0/1."""
    clouds = check_clouds(clouds, "fit_point_classifier")
    y, mean, std = classifier_targets(labels, kinds, len(clouds), "fit_point_classifier", "clouds")
    seed_everything(cfg.seed)  # seeded weight init
    clf = PointNetClassifier(kinds, mean=mean, std=std, **(clf_kwargs or {}))
    history = train(
        clf,
        partial(classifier_loss, points=train_points),
        [torch.from_numpy(clouds), torch.from_numpy(y)],
        cfg,
        device=device,
        history=history if history is not None else History("pointnet_classifier", log),
    )
    return clf, history
