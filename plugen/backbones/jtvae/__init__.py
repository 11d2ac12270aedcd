"""JT-VAE backbone: the Junction Tree VAE (Jin, Barzilay & Jaakkola, ICML 2018) with its
published ZINC weights, re-implemented for Python 3 / torch (original code:
https://github.com/wengong-jin/icml18-jtnn, MIT licence; not used here).

``load_jtvae(wheel_dir)`` returns a :class:`JTVAE`: ``encode(smiles)`` -> ``(mean, log_var)``
``(n, 56)``, ``decode(z)`` -> SMILES. Importing this package is light: RDKit and the networks
load on first use of the names below.
"""

from __future__ import annotations

__all__ = ["JTVAE", "Encoding", "JunctionTree", "OutOfVocabulary", "Vocab", "load_jtvae"]

_WHERE = {
    "JTVAE": "model",
    "Encoding": "model",
    "JunctionTree": "chem",
    "OutOfVocabulary": "chem",
    "Vocab": "chem",
    "load_jtvae": "weights",
}


def __getattr__(name: str):
    if name in _WHERE:
        from importlib import import_module

        return getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
