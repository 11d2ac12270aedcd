"""What the experiments on the user's own files share (latents, and optionally a decoder and a
judge, given by path): figures and summary tables that follow the decoder and judge they were
given, and the checks of those files and models before any job."""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from plugen.experiments.spec import Config, Decoder, Experiment, Judge


def file_stamp(paths: Sequence[str]) -> tuple[int, ...]:
    """Modification times of ``paths`` (0 for a missing one): a cache key that changes when the
    user replaces a file."""
    return tuple(os.stat(p).st_mtime_ns if os.path.exists(p) else 0 for p in paths)


class UserFilesExperiment(Experiment):
    """An experiment whose latents, labels, decoder and judge come from the user's files.

    decoder_key: the config key naming the decoder file (``decoder``, or ``generator``);
    ``<name>.classifier``, ``<name>.classifier_outputs`` and ``<name>.tasks.gradual`` as in
    the user-latents experiments. The probe table is always reported; figures need a decoder.
    """

    decoder_key = "decoder"

    def latent_dim(self, config: Config) -> int:
        """Width d of the user's latents as PluGeN models them."""
        raise NotImplementedError

    def decision_input(self, config: Config, n: int = 2) -> Any:
        """Latents ``(n, d)``, or their images through the user's decoder."""
        import torch

        z = torch.randn(n, self.latent_dim(config), generator=torch.Generator().manual_seed(0))
        if self.decision_model(config)["input"] == "latent":
            return z
        from plugen.explain.load import tensor_decoder

        decode, _ = tensor_decoder(self.decoder(config).as_dict())
        with torch.no_grad():
            return decode(z)

    def figure_tasks(self, config: Config) -> tuple[str, ...]:
        return self.tasks(config) if self.decoder(config) else ()

    def summary_tables(self, config: Config) -> tuple[str, ...]:
        return ("probe", *super().summary_tables(config))

    def model_problems(
        self, config: Config, kinds: dict[str, str], where: str, latent_dim: int
    ) -> list[str]:
        """The judge's outputs and the gradual attribute must be among ``kinds`` (``where``
        says where those come from), the gradual attribute continuous, a judge needs a decoder,
        and the decoder (and judge) must map one latent of width ``latent_dim`` to images (and
        the right number of outputs)."""
        c, name, dec = config[self.name], self.name, self.decoder_key
        problems = []
        unknown = [a for a in c["classifier_outputs"] if a not in kinds]
        if unknown:
            problems.append(
                f"{name}.classifier_outputs: {unknown} are not among the {where} ({list(kinds)})"
            )
        grad = c["tasks"]["gradual"]["attribute"]
        if grad is not None and grad not in kinds:
            problems.append(
                f"{name}.tasks.gradual.attribute: {grad!r} is not among the {where} ({list(kinds)})"
            )
        elif grad is not None and kinds[grad] != "continuous":
            continuous = [a for a, k in kinds.items() if k == "continuous"]
            problems.append(
                f"{name}.tasks.gradual.attribute: {grad!r} is {kinds[grad]}; gradual moves a "
                f"continuous attribute (continuous: {continuous})"
            )
        if c["classifier"] and not c[dec]:
            problems.append(f"{name}.classifier needs {name}.{dec} (it judges images)")
        if problems or not c[dec]:
            return problems
        return check_models(self.decoder(config), self.judge(config), latent_dim)


@lru_cache(maxsize=8)
def _probe(path: str, layers: int | None, latent_dim: int, stamp: tuple) -> tuple[str, int]:
    from plugen.backbones.torchscript import probe_decoder

    try:
        return probe_decoder(path, latent_dim, layers)
    except Exception:  # noqa: BLE001 - check_models reports a failing decoder, in one line
        return "image", 3


def decoder_kind(path: str, layers: int | None, latent_dim: int) -> str:
    """What the user's TorchScript decoder at ``path`` returns, found by decoding one latent
    (once per file version): ``"cloud"`` for point clouds ``(n, P, 3)``, else ``"image"`` (also
    when it cannot run: its check says why)."""
    return _probe(path, layers, latent_dim, file_stamp([path]))[0]


def decoder_channels(decoder: Decoder, latent_dim: int) -> int:
    """The channel count of the user's decoder's images (1 grey, 3 RGB), found by decoding one
    latent (once per file version); 3 when the decoder cannot run (its check says why)."""
    stamp = file_stamp([decoder.path])
    return _probe(decoder.path, decoder.layers, latent_dim, stamp)[1] or 3


def check_models(decoder: Decoder, judge: Judge | None, latent_dim: int) -> list[str]:
    """Run one latent through the user's decoder (and its image or cloud through the judge): a
    module with the wrong output shape fails here, before any job."""
    from plugen.backbones.torchscript import ScriptedCloudDecoder, ScriptedDecoder, ScriptedJudge

    try:
        clouds = decoder.kind == "torchscript_cloud"
        if clouds:
            dec = ScriptedCloudDecoder(decoder.path, layers=decoder.layers)
        else:
            dec = ScriptedDecoder(
                decoder.path, layers=decoder.layers, image_range=decoder.image_range
            )
        decoded = dec.check(latent_dim)
        if judge is not None:
            reading = (
                {"reads": "clouds"}
                if clouds
                else {"image_range": judge.image_range, "channels": dec.channels}
            )
            kinds = dict.fromkeys(judge.outputs, "binary")
            ScriptedJudge(judge.path, list(judge.outputs), kinds, **reading).check(decoded)
    except Exception as exc:  # noqa: BLE001 - the user's modules may raise anything
        first = str(exc).splitlines()[0] if str(exc).strip() else ""
        return [
            first if isinstance(exc, (ValueError, OSError)) else f"{type(exc).__name__}: {first}"
        ]
    return []
