"""custom: the user's own latents, labels, and optionally decoder and judge (TorchScript).

Nothing is trained but the plugin. The decoder returns images, or point clouds ``(n, P, 3)``
(found by decoding one latent), which are stored beside their three-view renderings and judged
as clouds. Latents and labels are read by :mod:`plugen.data.user`
(W+ latents ``(n, L, d)`` reduced to ``(n, d)`` and broadcast back before decoding), kinds are
inferred from the label values unless ``custom.kinds`` says otherwise. Which image tasks run
depends on the attributes: ``generation`` and ``flip`` need a binary attribute, ``manipulation``
two, ``gradual`` a continuous one. Without a decoder and a judge only the ``probe`` table (how
well the label coordinates of held-out latents predict their labels, and their NLL) is reported.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from plugen.experiments.capabilities.user_files import (
    UserFilesExperiment,
    decoder_channels,
    decoder_kind,
    file_stamp,
)
from plugen.experiments.spec import Config, Decoder, Judge, register


@lru_cache(maxsize=4)
def _user_data(
    latents: str, labels: str, std: str | None, kinds: tuple, w_plus: str, seed: int, stamp: tuple
):
    from plugen.data.user import load_user_data

    return load_user_data(latents, labels, dict(kinds) or None, w_plus, seed, std)


def user_data(config: Config) -> Any:
    """The user's latents and labels (:class:`plugen.data.user.UserData`), read once per
    process and file version."""
    c = config["custom"]
    paths = (c["latents"], c["labels"], c["latents_std"])
    kinds = tuple(sorted(c["kinds"].items()))
    stamp = file_stamp([p for p in paths if p])
    return _user_data(*paths, kinds, c["w_plus"], config["seed"], stamp)


class Custom(UserFilesExperiment):
    def attributes(self, config: Config) -> dict[str, str]:
        return dict(user_data(config).kinds)

    def latent_dim(self, config: Config) -> int:
        return len(user_data(config).z[0])

    def decoder(self, config: Config) -> Decoder | None:
        c = config["custom"]
        if not c["decoder"]:
            return None
        layers, image_range = user_data(config).layers, tuple(c["image_range"])
        output = decoder_kind(c["decoder"], layers, self.latent_dim(config))
        kind = "torchscript_cloud" if output == "cloud" else "torchscript"
        return Decoder(kind, c["decoder"], layers, image_range)

    def judge(self, config: Config) -> Judge | None:
        c = config["custom"]
        if not c["classifier"]:
            return None
        outputs = tuple(c["classifier_outputs"] or self.attributes(config))
        decoder, image_range = self.decoder(config), tuple(c["image_range"])
        if decoder is not None and decoder.kind == "torchscript_cloud":
            return Judge("torchscript_cloud", c["classifier"], outputs, image_range)
        channels = decoder_channels(decoder, self.latent_dim(config)) if decoder else 3
        return Judge("torchscript", c["classifier"], outputs, image_range, channels)

    def decodes_images(self, config: Config) -> bool:
        """False for a point-cloud decoder (its clouds are judged and rendered, not masked)."""
        decoder = self.decoder(config)
        return decoder is None or decoder.kind != "torchscript_cloud"

    def tasks(self, config: Config) -> tuple[str, ...]:
        from plugen.tasks import gradual_attribute

        kinds = self.attributes(config)
        n_binary = sum(k == "binary" for k in kinds.values())
        wanted = {
            "generation": n_binary >= 1,
            "manipulation": n_binary >= 2,
            "flip": n_binary >= 1,
            "gradual": bool(gradual_attribute(config["custom"]["tasks"]["gradual"], kinds)),
        }
        return tuple(t for t, ok in wanted.items() if ok and t in config["custom"]["tasks"]["run"])

    def latent_settings(self, config: Config) -> dict[str, Any]:
        keys = ("latents", "labels", "latents_std", "kinds", "w_plus")
        return {"seed": config["seed"], "custom": {k: config["custom"][k] for k in keys}}

    def input_files(self, config: Config) -> list[str]:
        c = config["custom"]
        return [c[k] for k in ("latents", "labels", "latents_std") if c[k]]

    def load_latents(self, config: Config) -> tuple[Any, Any]:
        data = user_data(config)
        return data.frame, data.z

    def load_spread(self, config: Config) -> Any:
        return user_data(config).z_std

    def validation_split(self, config: Config) -> bool:
        """The labels file's ``split`` column, when it has train and val rows, decides the
        early stopping."""
        data = user_data(config)
        return data.split_given and {"train", "val"} <= set(data.frame["split"])

    def check(self, config: Config) -> list[str]:
        c = config["custom"]
        missing = [k for k in ("latents", "labels") if not c[k]]
        if missing:
            return [f"custom.{k}: required when 'custom' is in experiments" for k in missing]
        given = [k for k in ("latents", "labels", "latents_std") if c[k]]
        absent = [k for k in given if not Path(c[k]).is_file()]
        if absent:  # relative paths are read from the working directory: say which one
            return [
                f"custom.{k}: {c[k]}: no such {k} file ({Path(c[k]).absolute()})" for k in absent
            ]
        try:
            kinds = self.attributes(config)
        except (ValueError, FileNotFoundError) as exc:
            return [str(exc)]
        where = f"label columns of {c['labels']}"
        return self.model_problems(config, kinds, where, len(user_data(config).z[0]))


SPEC = register(Custom("custom", latents="user"))
