"""Attaching clusters to each other: the chemistry of JT-VAE's graph assembly (RDKit only).

A tree node's cluster is joined to its neighbours' clusters by sharing one atom (singleton or
bond neighbours, rings meeting at an atom) or one bond (fused rings). An *atom map* here is a
list of ``(neighbour nid, atom in the centre cluster, atom in the neighbour)`` triples;
:func:`enumerate_assemblies` lists every chemically valid way to attach all neighbours of a
node (deduplicated by SMILES, capped at :data:`MAX_CANDIDATES`), the decoder then scores them.

The rules (which atoms may match, carbons needing free hydrogens, singletons first, larger
clusters before smaller ones) follow the Junction Tree VAE of Jin, Barzilay & Jaakkola
(ICML 2018, https://github.com/wengong-jin/icml18-jtnn, MIT licence); this is an independent
re-implementation.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass

from rdkit import Chem

from plugen.backbones.jtvae.chem import copy_atom, editable_copy, kekule_smiles, resanitize

MAX_CANDIDATES = 2000

AtomMap = list[tuple[int, int, int]]  # (neighbour nid, centre atom, neighbour atom)


@dataclass
class Part:
    """A cluster taking part in an assembly: its node id ``nid`` and kekulized ``mol``."""

    nid: int
    mol: Chem.Mol


def order_neighbors(parts: Sequence[Part]) -> list[Part]:
    """Single atoms first, then larger clusters before smaller ones (stable)."""
    single = [p for p in parts if p.mol.GetNumAtoms() == 1]
    multi = sorted(
        (p for p in parts if p.mol.GetNumAtoms() > 1), key=lambda p: -p.mol.GetNumAtoms()
    )
    return single + multi


def atoms_match(a1: Chem.Atom, a2: Chem.Atom) -> bool:
    return a1.GetSymbol() == a2.GetSymbol() and a1.GetFormalCharge() == a2.GetFormalCharge()


def _bond_atoms_match(b1: Chem.Bond, b2: Chem.Bond, reverse: bool) -> bool:
    """Ring bonds match on their end atoms (bond orders are ignored: rings are aromatic)."""
    e1, e2 = b2.GetBeginAtom(), b2.GetEndAtom()
    if reverse:
        e1, e2 = e2, e1
    return atoms_match(b1.GetBeginAtom(), e1) and atoms_match(b1.GetEndAtom(), e2)


def attach_parts(
    ctr: Chem.RWMol,
    neighbors: Sequence[Part],
    fathers: Sequence[Part],
    amaps: MutableMapping[int, dict[int, int]] | list[dict[int, int]],
) -> Chem.RWMol:
    """Add the atoms and bonds of ``fathers`` then ``neighbors`` to ``ctr`` (in place).

    ``amaps[nid]`` maps a part's atom to its atom in ``ctr``; unmapped atoms are added and
    recorded there. A single-atom part passes its atom-map number to the shared atom; a bond
    that exists already is replaced only by a father's.
    """
    father_ids = {p.nid for p in fathers}
    for part in [*fathers, *neighbors]:
        amap = amaps[part.nid]
        for atom in part.mol.GetAtoms():
            if atom.GetIdx() not in amap:
                amap[atom.GetIdx()] = ctr.AddAtom(copy_atom(atom))
        if part.mol.GetNumBonds() == 0:
            num = part.mol.GetAtomWithIdx(0).GetAtomMapNum()
            ctr.GetAtomWithIdx(amap[0]).SetAtomMapNum(num)
            continue
        for bond in part.mol.GetBonds():
            a1, a2 = amap[bond.GetBeginAtomIdx()], amap[bond.GetEndAtomIdx()]
            if ctr.GetBondBetweenAtoms(a1, a2) is None:
                ctr.AddBond(a1, a2, bond.GetBondType())
            elif part.nid in father_ids:
                ctr.RemoveBond(a1, a2)
                ctr.AddBond(a1, a2, bond.GetBondType())
    return ctr


def local_attach(
    ctr_mol: Chem.Mol, neighbors: Sequence[Part], fathers: Sequence[Part], amap: AtomMap
) -> Chem.Mol:
    """``ctr_mol`` with ``fathers`` and ``neighbors`` attached as ``amap`` says (unsanitized)."""
    ctr = editable_copy(ctr_mol)
    amaps: dict[int, dict[int, int]] = {p.nid: {} for p in [*fathers, *neighbors]}
    for nid, ctr_atom, nei_atom in amap:
        amaps[nid][nei_atom] = ctr_atom
    return attach_parts(ctr, neighbors, fathers, amaps).GetMol()


def enumerate_attachments(
    ctr_mol: Chem.Mol, nei: Part, amap: AtomMap, singletons: set[int]
) -> list[AtomMap]:
    """Every way to attach ``nei`` to ``ctr_mol`` on top of ``amap`` (each extends it)."""
    nei_mol = nei.mol
    taken_by_single = {ctr for nid, ctr, _ in amap if nid in singletons}
    ctr_atoms = [a for a in ctr_mol.GetAtoms() if a.GetIdx() not in taken_by_single]
    out: list[AtomMap] = []
    if nei_mol.GetNumBonds() == 0:  # a single atom: any free matching centre atom
        used = {ctr for _, ctr, _ in amap}
        nei_atom = nei_mol.GetAtomWithIdx(0)
        for atom in ctr_atoms:
            if atoms_match(atom, nei_atom) and atom.GetIdx() not in used:
                out.append([*amap, (nei.nid, atom.GetIdx(), 0)])
    elif nei_mol.GetNumBonds() == 1:  # a bond: one of its ends becomes a centre atom
        bond = nei_mol.GetBondWithIdx(0)
        order = int(bond.GetBondTypeAsDouble())
        b1, b2 = bond.GetBeginAtom(), bond.GetEndAtom()
        for atom in ctr_atoms:
            if atom.GetAtomicNum() == 6 and atom.GetTotalNumHs() < order:
                continue  # a carbon needs as many free hydrogens as the bond order
            if atoms_match(atom, b1):
                out.append([*amap, (nei.nid, atom.GetIdx(), b1.GetIdx())])
            elif atoms_match(atom, b2):
                out.append([*amap, (nei.nid, atom.GetIdx(), b2.GetIdx())])
    else:  # a ring: share one atom ...
        for a1 in ctr_atoms:
            for a2 in nei_mol.GetAtoms():
                if not atoms_match(a1, a2):
                    continue
                if a1.GetAtomicNum() == 6 and a1.GetTotalNumHs() + a2.GetTotalNumHs() < 4:
                    continue
                out.append([*amap, (nei.nid, a1.GetIdx(), a2.GetIdx())])
        if ctr_mol.GetNumBonds() > 1:  # ... or one bond (fused rings), both directions
            for b1 in ctr_mol.GetBonds():
                c1, c2 = b1.GetBeginAtomIdx(), b1.GetEndAtomIdx()
                for b2 in nei_mol.GetBonds():
                    n1, n2 = b2.GetBeginAtomIdx(), b2.GetEndAtomIdx()
                    if _bond_atoms_match(b1, b2, reverse=False):
                        out.append([*amap, (nei.nid, c1, n1), (nei.nid, c2, n2)])
                    if _bond_atoms_match(b1, b2, reverse=True):
                        out.append([*amap, (nei.nid, c1, n2), (nei.nid, c2, n1)])
    return out


def enumerate_assemblies(
    ctr: Part,
    neighbors: Sequence[Part],
    fathers: Sequence[Part] = (),
    father_amap: AtomMap = (),
) -> list[tuple[str, Chem.Mol, AtomMap]]:
    """All distinct attachments of ``neighbors`` (in order; see :func:`order_neighbors`) to
    ``ctr``, the ``fathers`` already placed by ``father_amap``.

    Depth-first: each neighbour's options are kept only when the partial molecule is valid and
    new. Returns ``(smiles, kekulized candidate, atom map)``; the candidates keep atom-map
    numbers (the tree nodes the atoms came from). Empty when nothing fits.
    """
    singletons = {p.nid for p in [*neighbors, *fathers] if p.mol.GetNumAtoms() == 1}
    complete: list[AtomMap] = []

    def search(amap: AtomMap, depth: int) -> None:
        if len(complete) > MAX_CANDIDATES:
            return
        if depth == len(neighbors):
            complete.append(amap)
            return
        seen: set[str] = set()
        kept = []
        for option in enumerate_attachments(ctr.mol, neighbors[depth], amap, singletons):
            partial = resanitize(local_attach(ctr.mol, neighbors[: depth + 1], fathers, option))
            if partial is None:
                continue
            key = kekule_smiles(partial)
            if key not in seen:
                seen.add(key)
                kept.append(option)
        for option in kept:
            search(option, depth + 1)

    search(list(father_amap), 0)
    out, seen = [], set()
    for amap in complete:
        mol = local_attach(ctr.mol, neighbors, fathers, amap)
        try:
            mol = Chem.MolFromSmiles(Chem.MolToSmiles(mol))
        except Exception:  # noqa: BLE001
            mol = None
        if mol is None:
            continue
        smiles = Chem.MolToSmiles(mol)
        if smiles in seen:
            continue
        seen.add(smiles)
        Chem.Kekulize(mol)
        out.append((smiles, mol, amap))
    return out
