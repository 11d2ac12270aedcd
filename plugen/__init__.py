"""plugen: PluGeN (Wolczyk et al., AAAI 2022) multi-label conditional generation plugins."""

from plugen.model import PluGeN, PluGeNConfig

__all__ = ["PluGeN", "PluGeNConfig"]
__version__ = "0.1.0"
