"""plugen: PluGeN (Wolczyk et al., AAAI 2022) multi-label conditional generation plugins.

``PluGeN`` and ``PluGeNConfig`` are imported lazily, so light modules (``plugen.config``, used
by the Snakefile at every start) do not pay for importing torch.
"""

from typing import TYPE_CHECKING

__all__ = ["PluGeN", "PluGeNConfig"]
__version__ = "0.1.0"

if TYPE_CHECKING:
    from plugen.model import PluGeN, PluGeNConfig


def __getattr__(name: str):
    if name in __all__:
        from plugen import model

        return getattr(model, name)
    raise AttributeError(f"module 'plugen' has no attribute {name!r}")
