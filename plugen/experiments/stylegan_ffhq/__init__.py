"""stylegan_ffhq: the paper's Table 1. PluGeN on StyleGAN's W latents of FFHQ as StyleFlow
releases them (``sg2latents.pickle`` or an ``.npy``, with ``attributes.npy``), the user's
generator and judge. W+ latents ``(n, 18, 512)`` are modelled through ``w[:, 0]`` and broadcast
back to 18 layers before the generator, as the paper's authors do; the first 500 latents are the
test split. Without a generator the experiment trains and reports the probe table only."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from plugen.experiments.capabilities.user_files import UserFilesExperiment, file_stamp
from plugen.experiments.spec import Config, Decoder, Judge, register


@lru_cache(maxsize=2)
def _read(latents: str, attributes: str, thresholds: tuple, n_test: int, stamp: tuple):
    import numpy as np
    import pandas as pd

    from plugen.data.user import reduce_w_plus
    from plugen.experiments.stylegan_ffhq.styleflow import binarize, read_styleflow, split_styleflow

    w, attrs = read_styleflow(latents, attributes)
    labels = binarize(attrs, dict(thresholds)).reset_index(drop=True)
    ids = pd.Series([f"{i:05d}" for i in range(len(w))], name="id")
    frame = pd.concat(
        [ids, pd.Series(split_styleflow(len(w), n_test), name="split"), labels], axis=1
    )
    layers = w.shape[1] if w.ndim == 3 else None
    return frame, np.ascontiguousarray(reduce_w_plus(w, "first")), layers


class StyleGANFFHQ(UserFilesExperiment):
    decoder_key = "generator"

    def _data(self, config: Config) -> tuple[Any, Any, int | None]:
        d = config["stylegan_ffhq"]["data"]
        paths = (d["latents"], d["attributes"])
        thresholds = tuple(sorted(d["thresholds"].items()))
        return _read(*paths, thresholds, d["n_test"], file_stamp(paths))

    def attributes(self, config: Config) -> dict[str, str]:
        from plugen.experiments.stylegan_ffhq.styleflow import BINARY, CONTINUOUS

        return {**dict.fromkeys(BINARY, "binary"), **dict.fromkeys(CONTINUOUS, "continuous")}

    def latent_dim(self, config: Config) -> int:
        return self._data(config)[1].shape[1]

    def decoder(self, config: Config) -> Decoder | None:
        c = config["stylegan_ffhq"]
        if not c["generator"]:
            return None
        layers = c["generator_layers"] or self._data(config)[2]  # default: as the latents
        return Decoder("torchscript", c["generator"], layers, tuple(c["image_range"]))

    def judge(self, config: Config) -> Judge | None:
        c = config["stylegan_ffhq"]
        if not c["classifier"]:
            return None
        outputs = tuple(c["classifier_outputs"])
        return Judge("torchscript", c["classifier"], outputs, tuple(c["image_range"]))

    def tasks(self, config: Config) -> tuple[str, ...]:
        return ("flip", "gradual")

    def latent_settings(self, config: Config) -> dict[str, Any]:
        return {"seed": config["seed"], "stylegan_ffhq": {"data": config["stylegan_ffhq"]["data"]}}

    def input_files(self, config: Config) -> list[str]:
        d = config["stylegan_ffhq"]["data"]
        return [d["latents"], d["attributes"]]

    def load_latents(self, config: Config) -> tuple[Any, Any]:
        frame, z, _ = self._data(config)
        return frame, z

    def check(self, config: Config) -> list[str]:
        c = config["stylegan_ffhq"]
        missing = [k for k in ("latents", "attributes") if not c["data"][k]]
        if missing:
            return [
                f"stylegan_ffhq.data.{k}: required when 'stylegan_ffhq' is in experiments"
                for k in missing
            ]
        try:
            z = self._data(config)[1]
        except (ValueError, FileNotFoundError) as exc:
            return [str(exc)]
        kinds = self.attributes(config)
        return self.model_problems(config, kinds, "Table 1 attributes", z.shape[1])


SPEC = register(StyleGANFFHQ("stylegan_ffhq", latents="user"))
