"""The methods PluGeN is compared with, behind one interface (:mod:`plugen.baselines.base`).

Latent editors (same calls as :class:`plugen.PluGeN`, on a frozen backbone's latents):
``interfacegan`` (linear boundaries), ``cflow`` (conditional spline flow), ``cnice``
(conditional flow of PluGeN's own couplings and size), ``cnf``
(StyleFlow-style conditional CNF). Image editors (own encoder/decoder): ``msp`` (manipulation
only), ``cvae`` (generation only). scikit-learn (InterFaceGAN) and zuko (the flows) are
imported when a model needs them.
"""

from __future__ import annotations

from pathlib import Path

import torch

from plugen.baselines.base import ImageEditor, LabelCoding, LatentEditor
from plugen.baselines.cflow import CNICE, CFlow
from plugen.baselines.cnf import CNF
from plugen.baselines.cvae import CVAE
from plugen.baselines.interfacegan import InterFaceGAN
from plugen.baselines.msp import MSP

BASELINES: dict[str, type[LatentEditor] | type[ImageEditor]] = {
    "interfacegan": InterFaceGAN,
    "cflow": CFlow,
    "cnice": CNICE,
    "cnf": CNF,
    "msp": MSP,
    "cvae": CVAE,
}

__all__ = [
    "BASELINES",
    "CFlow",
    "CNF",
    "CNICE",
    "CVAE",
    "ImageEditor",
    "InterFaceGAN",
    "LabelCoding",
    "LatentEditor",
    "MSP",
    "load_baseline",
]


def load_baseline(
    path: str | Path, device: str | torch.device = "cpu"
) -> LatentEditor | ImageEditor:
    """Read any baseline checkpoint; the method comes from the file's format marker.

    Raises FileNotFoundError for a missing file and ValueError for a file that is not a
    baseline checkpoint.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such baseline checkpoint")
    try:
        fmt = torch.load(path, map_location="cpu", weights_only=False).get("format")
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means a foreign file
        raise ValueError(f"{path}: not a baseline checkpoint ({type(exc).__name__})") from None
    by_format = {cls.checkpoint_format: cls for cls in BASELINES.values()}
    if fmt not in by_format:
        raise ValueError(
            f"{path}: not a baseline checkpoint (format {fmt!r}; expected one of "
            f"{sorted(by_format)})"
        )
    return by_format[fmt].load(path, device)
