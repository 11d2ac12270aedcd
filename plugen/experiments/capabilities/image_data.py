"""An image data set rendered or read in the DAG and the models trained on it: the conv VAE
that encodes it, the judge, a user's encoder, the real images FID compares with."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from plugen.experiments.paths import results_path

if TYPE_CHECKING:
    from plugen.experiments.paths import Config


class ImageData:
    """Mixin of :class:`plugen.experiments.spec.Experiment` (see the module docstring)."""

    def data_section(self, config: Config) -> str | None:
        """The config section whose ``results/<section>/data/`` (``dataset.parquet``, ``images/``)
        holds this experiment's image data set; None when it has none."""
        return None

    def n_images(self, config: Config, splits: Sequence[str]) -> int:
        """How many images of ``splits`` the data set holds (at most; it sizes jobs' memory and
        time); 0 without a data set."""
        return 0

    def vae_config(self, config: Config) -> Mapping[str, Any] | None:
        """The config section of the conv VAE the DAG trains on the data set (train_vae's
        ``cfg``: ``latent_dim``, ``beta``, ``widths``, ``train``); None when none is trained."""
        return None

    def vae_splits(self, config: Config) -> tuple[str, ...]:
        """The splits train_vae reads: the one the VAE trains on, then its early-stopping one."""
        return ("train", "val")

    def user_encoder(self, config: Config) -> dict[str, Any] | None:
        """The user's TorchScript encoder extract_latents encodes the data set with
        (``{"path", "image_range"}``); None: the VAE trained in the DAG encodes it."""
        return None

    def labels_per_image(self, config: Config) -> int | None:
        """k labels kept per train/val image when the latents are extracted (the rest unknown:
        semi-supervised); None keeps every label."""
        return None

    def trains_judge(self, config: Config) -> bool:
        """Whether the DAG trains this experiment's own judge on its data set (train_judge,
        ``results/<name>/models/classifier.pt``)."""
        return False

    def real_images(self, config: Config) -> str | None:
        """Dataset table of real images (figures' originals, FID's reference): the one of
        :meth:`data_section`, if any."""
        section = self.data_section(config)
        return None if section is None else results_path(section, "data", "dataset.parquet")

    def inception_path(self, config: Config) -> str | None:
        """A TorchScript Inception network for FID beside the judge's features, if given."""
        return None
