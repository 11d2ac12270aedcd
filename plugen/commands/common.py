"""Helpers shared by the plugin verbs: options, ``--set`` parsing, latents in and out, decoding.

Every check raises a one-line ``ValueError`` / ``FileNotFoundError``; ``plugen.cli.main`` turns
it into ``plugen <verb>: <message>`` and exit code 2.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from plugen.backbones.torchscript import ScriptedCloudDecoder, ScriptedDecoder
    from plugen.model import PluGeN

LATENT_OUT_SUFFIXES = (".npy", ".parquet")


def add_device(p: argparse.ArgumentParser) -> None:
    """``--device auto|cpu|cuda``."""
    p.add_argument(
        "--device",
        default="auto",
        choices=("auto", "cpu", "cuda"),
        help="auto: CUDA when available, else CPU (default: %(default)s)",
    )


def add_w_plus(p: argparse.ArgumentParser) -> None:
    """``--w-plus first|mean``: how (n, L, d) latents are reduced."""
    p.add_argument(
        "--w-plus",
        default="first",
        choices=("first", "mean"),
        help="how W+ latents (n, L, d) become (n, d): the first layer or the mean over layers "
        "(default: %(default)s)",
    )


def add_decoder(p: argparse.ArgumentParser) -> None:
    """``--decoder``, ``--images``, ``--image-range``."""
    p.add_argument("--decoder", metavar="DEC.pt", help="TorchScript decoder: z -> images")
    p.add_argument("--images", metavar="DIR", help="write the decoded images here as PNGs")
    add_image_range(p)


def add_image_range(p: argparse.ArgumentParser) -> None:
    """``--image-range LOW HIGH``: the decoder's pixel range."""
    p.add_argument(
        "--image-range",
        nargs=2,
        type=float,
        default=(0.0, 1.0),
        metavar=("LOW", "HIGH"),
        help="pixel range of the decoder's output (default: 0 1)",
    )


def add_sets(p: argparse.ArgumentParser, required: bool) -> None:
    """``--set NAME=VALUE`` (repeatable) into ``args.sets``."""
    p.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        required=required,
        metavar="NAME=VALUE",
        help="attribute value (repeat for several): binary 0 or 1, continuous a number "
        "in the attribute's units",
    )


def device(name: str):
    """``--device`` -> a torch device (``cuda`` without CUDA warns and falls back to CPU)."""
    from plugen.train import resolve_device

    return resolve_device(name)


def load_plugin(path: str, dev) -> PluGeN:
    """The plugin checkpoint at ``path`` on ``dev`` (errors name the file)."""
    from plugen.model import PluGeN

    return PluGeN.load(path, device=dev)


def parse_kinds(text: str | None) -> dict[str, str] | None:
    """``"a=binary,t=continuous"`` -> ``{"a": "binary", "t": "continuous"}`` (None -> None)."""
    if not text:
        return None
    kinds = {}
    for item in text.split(","):
        name, sep, kind = (part.strip() for part in item.partition("="))
        if not sep or not name or kind not in ("binary", "continuous"):
            raise ValueError(f"--kinds: expected NAME=binary|continuous[,...], got {item!r}")
        kinds[name] = kind
    return kinds


def parse_sets(items: Sequence[str], model: PluGeN) -> dict[str, float]:
    """``["smile=1", "age=40"]`` -> ``{"smile": 1.0, "age": 40.0}``, checked against the
    plugin's attributes and kinds (binary: 0 or 1; continuous: a finite number)."""
    values: dict[str, float] = {}
    for item in items:
        name, sep, text = (part.strip() for part in item.partition("="))
        if not sep or not name:
            raise ValueError(f"--set {item!r}: expected NAME=VALUE")
        if name not in model.attributes:
            raise ValueError(
                f"--set {item}: unknown attribute {name!r}; the plugin has "
                f"{', '.join(model.attributes)}"
            )
        if name in values:
            raise ValueError(f"--set {item}: attribute {name!r} is set twice")
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if model.kinds[name] == "binary" and value not in (0.0, 1.0):
            raise ValueError(f"--set {item}: {name!r} is binary, expected 0 or 1")
        if not math.isfinite(value):
            raise ValueError(f"--set {item}: {name!r} is continuous, expected a finite number")
        values[name] = value
    return values


def warn(args: argparse.Namespace, lines: Sequence[str]) -> None:
    """Each line on stderr as ``plugen <verb>: warning: <line>`` (the run goes on)."""
    for line in lines:
        print(f"plugen {args.command}: warning: {line}", file=sys.stderr)


def check_suffix(path: str, suffixes: Sequence[str], what: str) -> None:
    """Fail before any work when an output file name has the wrong suffix."""
    if Path(path).suffix.lower() not in suffixes:
        raise ValueError(f"{path}: {what} must end in {' or '.join(suffixes)}")


def read_plugin_latents(
    path: str, model: PluGeN, w_plus: str
) -> tuple[np.ndarray, list[str], int | None]:
    """Latents for ``model``: ``(n, d)`` (W+ reduced by ``w_plus``), their ids ("0".."n-1"
    when the file has none) and the W+ layer count (None for ``(n, d)`` input)."""
    from plugen.data.user import read_latents, reduce_w_plus

    z, ids = read_latents(path)
    layers = int(z.shape[1]) if z.ndim == 3 else None
    z = reduce_w_plus(z, w_plus)
    if z.shape[1] != model.latent_dim:
        raise ValueError(
            f"{path}: latents have width {z.shape[1]}, the plugin expects {model.latent_dim}"
        )
    return z, ids if ids is not None else [str(i) for i in range(len(z))], layers


def make_decoder(
    args: argparse.Namespace, dev, latent_dim: int, layers: int | None
) -> ScriptedDecoder | ScriptedCloudDecoder | None:
    """The ``--decoder`` (checked on one zero latent of width ``latent_dim``; a point-cloud
    decoder, with ``(n, P, 3)`` output, is found that way too), or None without one;
    ``--decoder`` and ``--images`` go together."""
    if (args.decoder is None) != (args.images is None):
        raise ValueError("--decoder and --images go together: give both or neither")
    if args.decoder is None:
        return None
    from plugen.backbones.torchscript import ScriptedCloudDecoder, ScriptedDecoder, decoder_output

    if decoder_output(args.decoder, latent_dim, layers, dev) == "cloud":
        decoder = ScriptedCloudDecoder(args.decoder, dev, layers=layers)
    else:
        decoder = ScriptedDecoder(args.decoder, dev, layers=layers, image_range=args.image_range)
    decoder.check(latent_dim)
    return decoder


def write_outputs(
    args: argparse.Namespace,
    z: np.ndarray,
    ids: Sequence[str],
    layers: int | None,
    decoder: ScriptedDecoder | ScriptedCloudDecoder | None,
) -> None:
    """Write latents ``z (n, d)`` to ``args.out`` (as ``(n, layers, d)`` for W+) and, with a
    decoder, their images to ``args.images`` (for a point-cloud decoder: ``clouds.npy``
    ``(n, P, 3)`` and the clouds' three-view renderings)."""
    from plugen.data.user import broadcast_w_plus, write_latents

    write_latents(args.out, broadcast_w_plus(z, layers) if layers else z, ids)
    shape = f"({len(z)}, {layers}, {z.shape[1]})" if layers else f"({len(z)}, {z.shape[1]})"
    print(f"wrote {shape} latents to {args.out}")
    if decoder is not None:
        from plugen.io import write_images
        from plugen.plots import contact_sheet

        images = decoder(z)
        if images.ndim == 3:  # point clouds
            from plugen.io import write_clouds
            from plugen.plots import render_clouds

            write_clouds(images, args.images)
            print(f"wrote {images.shape} clouds to {args.images}/clouds.npy")
            images = render_clouds(images)
        write_images(images, args.images, ids)
        sheet = contact_sheet(images, Path(args.images) / "contact_sheet.png")
        print(f"wrote {len(z)} images to {args.images}/ (at a glance: {sheet})")
