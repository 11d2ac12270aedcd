"""Inverse problems with a plugin: inpainting, super-resolution and colourisation by latent
search under the plugin's prior, with requested attributes and diverse solutions.

:func:`solve` searches latents whose decodes explain an observation ``y = A(x) + noise``
(:mod:`.operators`: masks, downsampling, greyscale, or a user's operator); :mod:`.masks`
makes and reads inpainting masks; :func:`harmonic_fill` is the classical fill beside it.
Needs torch and numpy (scipy for the classical fill, pillow to read image masks).
"""

from plugen.inverse.classical import harmonic_fill
from plugen.inverse.operators import Downsample, Greyscale, Mask, Operator, make_operator
from plugen.inverse.search import PRIORS, SearchResult, SearchSettings, solve

__all__ = [
    "PRIORS",
    "Downsample",
    "Greyscale",
    "Mask",
    "Operator",
    "SearchResult",
    "SearchSettings",
    "harmonic_fill",
    "make_operator",
    "solve",
]
