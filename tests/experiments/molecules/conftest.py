"""The molecule tests' shared data."""

import pytest

SMILES = [
    "CCO",
    "c1ccccc1",
    "CC(=O)Oc1ccccc1C(=O)O",
    "ClCCBr",
    "c1cc[nH]c1",
    "CC(C)N",
    "O=C(O)CCl",
    "CCOC(=O)C",
    "C1CC1",
    "c1ccncc1",
    "CC[C@@H](C)O",
    "N#CC",
]


@pytest.fixture(scope="session")
def smiles() -> list[str]:
    """Twelve small molecules: multi-character tokens (Cl, Br, [nH]), rings, a stereocentre."""
    return SMILES
