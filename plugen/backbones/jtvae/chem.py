"""Junction-tree chemistry: clusters, tree decomposition, cluster vocabulary, junction trees.

A molecule is cut into *clusters*: every bond outside a ring, every ring of the smallest set of
smallest rings (rings sharing more than two atoms, i.e. bridged systems, are merged into one
cluster), plus single-atom clusters where three or more clusters meet at one atom. Clusters that
share atoms are joined by edges weighted by the number of shared atoms; a maximum spanning tree
of that graph is the *junction tree*. Each cluster is labelled by the canonical Kekulé SMILES of
its atoms (symbols, charges, bond orders), and the labels are looked up in a fixed vocabulary.

The rules follow the Junction Tree VAE of Jin, Barzilay & Jaakkola, "Junction Tree Variational
Autoencoder for Molecular Graph Generation", ICML 2018 (https://github.com/wengong-jin/icml18-jtnn,
MIT licence), including its tie-breaking, so that trees match the ones its published weights were
trained on. This is an independent Python 3 re-implementation; it does not use the original code.

Molecules are RDKit ``Mol`` objects, *kekulized* (explicit single/double bonds; atoms keep their
aromatic flag), as the networks expect.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from rdkit import Chem, RDLogger

RDLogger.DisableLog("rdApp.*")

MST_MAX_WEIGHT = 100  # edge weights are MST_MAX_WEIGHT - shared atoms (as in the original)

Slot = tuple[str, int, int]  # (element symbol, formal charge, total hydrogens) of a cluster atom


# --------------------------------------------------------------------------- RDKit helpers
def kekule_mol(smiles: str) -> Chem.Mol | None:
    """Parse ``smiles`` and kekulize it (aromatic flags kept); None when RDKit cannot."""
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return None
    try:
        Chem.Kekulize(mol)
    except Exception:  # noqa: BLE001 - RDKit raises several kinds
        return None
    return mol


def kekule_smiles(mol: Chem.Mol) -> str:
    """Canonical SMILES written with explicit single/double bonds (atom maps kept)."""
    return Chem.MolToSmiles(mol, kekuleSmiles=True)


def resanitize(mol: Chem.Mol) -> Chem.Mol | None:
    """Round-trip ``mol`` through Kekulé SMILES (RDKit recomputes valences and hydrogens);
    None when the result is not a valid molecule."""
    try:
        return kekule_mol(kekule_smiles(mol))
    except Exception:  # noqa: BLE001
        return None


def copy_atom(atom: Chem.Atom) -> Chem.Atom:
    """A bare copy of ``atom``: element, formal charge and atom-map number only."""
    new = Chem.Atom(atom.GetSymbol())
    new.SetFormalCharge(atom.GetFormalCharge())
    new.SetAtomMapNum(atom.GetAtomMapNum())
    return new


def editable_copy(mol: Chem.Mol) -> Chem.RWMol:
    """An editable copy of ``mol`` with bare atoms (:func:`copy_atom`) and the same bonds."""
    new = Chem.RWMol()
    for atom in mol.GetAtoms():
        new.AddAtom(copy_atom(atom))
    for bond in mol.GetBonds():
        new.AddBond(bond.GetBeginAtomIdx(), bond.GetEndAtomIdx(), bond.GetBondType())
    return new


def set_atom_map(mol: Chem.Mol, num: int = 0) -> None:
    """Set the atom-map number of every atom of ``mol`` to ``num`` (in place)."""
    for atom in mol.GetAtoms():
        atom.SetAtomMapNum(num)


def cluster_mol(mol: Chem.Mol, atoms: Sequence[int]) -> Chem.Mol | None:
    """The sub-molecule on ``atoms`` of the kekulized ``mol``: bare atoms, the bonds among them,
    hydrogens recomputed; None when it is not a valid molecule."""
    keep = sorted(set(atoms))
    where = {a: i for i, a in enumerate(keep)}
    sub = Chem.RWMol()
    for a in keep:
        sub.AddAtom(copy_atom(mol.GetAtomWithIdx(a)))
    for bond in mol.GetBonds():
        i, j = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
        if i in where and j in where:
            sub.AddBond(where[i], where[j], bond.GetBondType())
    return resanitize(sub.GetMol())


def cluster_smiles(mol: Chem.Mol, atoms: Sequence[int]) -> str | None:
    """Vocabulary label of the cluster ``atoms`` of ``mol`` (None when not a valid molecule)."""
    sub = cluster_mol(mol, atoms)
    return None if sub is None else kekule_smiles(sub)


# --------------------------------------------------------------------------- decomposition
def _atom_clusters(clusters: list[list[int]], n_atoms: int) -> list[list[int]]:
    out: list[list[int]] = [[] for _ in range(n_atoms)]
    for c, atoms in enumerate(clusters):
        for a in atoms:
            out[a].append(c)
    return out


def _maximum_spanning_tree(n_nodes: int, weights: dict[tuple[int, int], int]) -> list[tuple]:
    """Kruskal on ``weights`` ((i, j) with i < j -> shared atoms), heaviest first; ties are
    broken by (i, j), as scipy's stable-sorted ``minimum_spanning_tree`` on
    ``MST_MAX_WEIGHT - w`` does. Returns the chosen edges sorted by (i, j)."""
    parent = list(range(n_nodes))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    chosen = []
    for edge in sorted(sorted(weights), key=lambda e: MST_MAX_WEIGHT - weights[e]):
        ri, rj = root(edge[0]), root(edge[1])
        if ri != rj:
            parent[ri] = rj
            chosen.append(edge)
    return sorted(chosen)


def tree_decomposition(mol: Chem.Mol) -> tuple[list[list[int]], list[tuple[int, int]]]:
    """Clusters (lists of atom indices) and junction-tree edges (pairs of cluster indices) of
    ``mol``. A disconnected molecule gives a forest (fewer edges than clusters - 1)."""
    n_atoms = mol.GetNumAtoms()
    if n_atoms == 1:
        return [[0]], []
    clusters = [
        [b.GetBeginAtomIdx(), b.GetEndAtomIdx()] for b in mol.GetBonds() if not b.IsInRing()
    ]
    clusters.extend(list(ring) for ring in Chem.GetSymmSSSR(mol))

    # merge rings sharing more than two atoms (bridged systems) into the earlier ring
    atom_clusters = _atom_clusters(clusters, n_atoms)
    for i in range(len(clusters)):
        if len(clusters[i]) <= 2:
            continue
        # The original walks the atoms of ring i while merging; the atoms of the *first* ring
        # merged into it join that walk, later ones do not. Kept for identical trees.
        walk, grown = list(clusters[i]), False
        k = 0
        while k < len(walk):
            for j in atom_clusters[walk[k]]:
                if i >= j or len(clusters[j]) <= 2:
                    continue
                if len(set(clusters[i]) & set(clusters[j])) > 2:
                    if not grown:
                        walk.extend(clusters[j])
                        grown = True
                    clusters[i] = sorted(set(clusters[i]) | set(clusters[j]))
                    clusters[j] = []
            k += 1
    clusters = [c for c in clusters if c]
    atom_clusters = _atom_clusters(clusters, n_atoms)

    weights: dict[tuple[int, int], int] = {}
    for atom in range(n_atoms):
        around = atom_clusters[atom]
        if len(around) <= 1:
            continue
        bonds = [c for c in around if len(clusters[c]) == 2]
        rings = [c for c in around if len(clusters[c]) > 4]
        if len(bonds) > 2 or (len(bonds) == 2 and len(around) > 2):
            clusters.append([atom])  # a branching atom becomes its own cluster
            for c in around:
                weights[(c, len(clusters) - 1)] = 1
        elif len(rings) > 2:  # an atom shared by three or more large rings
            clusters.append([atom])
            for c in around:
                weights[(c, len(clusters) - 1)] = MST_MAX_WEIGHT - 1
        else:
            for x in range(len(around)):
                for y in range(x + 1, len(around)):
                    c1, c2 = around[x], around[y]
                    shared = len(set(clusters[c1]) & set(clusters[c2]))
                    weights[(c1, c2)] = max(weights.get((c1, c2), 0), shared)
    if not weights:
        return clusters, []
    return clusters, _maximum_spanning_tree(len(clusters), weights)


# --------------------------------------------------------------------------- vocabulary
class Vocab:
    """The cluster vocabulary: label (Kekulé SMILES) <-> word index, plus per-word atom slots.

    Labels are matched as written and, when the RDKit in use writes a label differently from
    the one that built the vocabulary, through the label RDKit writes now (an alias).
    """

    def __init__(self, labels: Sequence[str]):
        self.labels = [s.strip() for s in labels if s.strip()]
        if len(set(self.labels)) != len(self.labels):
            raise ValueError("cluster vocabulary has duplicate labels")
        self._index = {s: i for i, s in enumerate(self.labels)}
        self._mols: list[Chem.Mol] = []
        self._slots: list[list[Slot]] = []
        for i, label in enumerate(self.labels):
            mol = kekule_mol(label)
            if mol is None:
                raise ValueError(f"cluster vocabulary entry {i} {label!r} is not valid SMILES")
            self._mols.append(mol)
            aromatic = Chem.MolFromSmiles(label)
            self._slots.append(
                [
                    (a.GetSymbol(), a.GetFormalCharge(), a.GetTotalNumHs())
                    for a in aromatic.GetAtoms()
                ]
            )
            now = cluster_smiles(mol, range(mol.GetNumAtoms()))
            if now is not None and now != label:
                self._index.setdefault(now, i)
        self.sha256 = hashlib.sha256("\n".join(self.labels).encode()).hexdigest()

    @classmethod
    def from_text(cls, text: str) -> Vocab:
        """One label per line (the format of the original ``vocab.txt``)."""
        return cls(text.splitlines())

    def __len__(self) -> int:
        return len(self.labels)

    def get(self, label: str) -> int | None:
        """Word index of ``label``, None when it is not in the vocabulary."""
        return self._index.get(label)

    def mol(self, wid: int) -> Chem.Mol:
        """A fresh kekulized copy of word ``wid``'s molecule (callers may set atom maps)."""
        return Chem.Mol(self._mols[wid])

    def shared_mol(self, wid: int) -> Chem.Mol:
        """Word ``wid``'s kekulized molecule itself (read-only: do not modify it)."""
        return self._mols[wid]

    def slots(self, wid: int) -> list[Slot]:
        """A fresh copy of word ``wid``'s atom slots ``(symbol, charge, total Hs)``."""
        return copy.copy(self._slots[wid])

    def size(self, wid: int) -> int:
        """Number of atoms of word ``wid``."""
        return self._mols[wid].GetNumAtoms()


# --------------------------------------------------------------------------- junction trees
class OutOfVocabulary(ValueError):
    """A molecule has clusters whose labels are not in the vocabulary (``labels``)."""

    def __init__(self, smiles: str, labels: Sequence[str]):
        self.smiles, self.labels = smiles, list(labels)
        super().__init__(f"{smiles}: clusters not in the vocabulary: {', '.join(self.labels)}")


@dataclass
class TreeNode:
    """One cluster of a junction tree. ``neighbors`` are indices into the tree's node list;
    ``atoms`` index atoms of the molecule (empty for decoded trees)."""

    wid: int
    label: str
    atoms: list[int] = field(default_factory=list)
    neighbors: list[int] = field(default_factory=list)

    @property
    def is_leaf(self) -> bool:
        return len(self.neighbors) == 1


@dataclass
class JunctionTree:
    """A molecule's junction tree; node 0 is the root (the cluster holding atom 0)."""

    smiles: str
    mol: Chem.Mol
    nodes: list[TreeNode]

    @classmethod
    def from_smiles(cls, smiles: str, vocab: Vocab) -> JunctionTree:
        """Decompose ``smiles`` (used as written: atom 0 picks the root).

        Raises ValueError when RDKit cannot parse or kekulize it, :class:`OutOfVocabulary`
        when some cluster label is not in ``vocab``.
        """
        mol = kekule_mol(smiles)
        if mol is None:
            raise ValueError(f"{smiles}: not a valid SMILES")
        if len(Chem.GetMolFrags(mol)) > 1:
            raise ValueError(f"{smiles}: several disconnected fragments")
        clusters, edges = tree_decomposition(mol)
        labels = [cluster_smiles(mol, c) for c in clusters]
        if any(lab is None for lab in labels):
            raise ValueError(f"{smiles}: a cluster is not a valid molecule")
        wids = [vocab.get(lab) for lab in labels]
        missing = [lab for lab, w in zip(labels, wids) if w is None]
        if missing:
            raise OutOfVocabulary(smiles, sorted(set(missing)))
        nodes = [TreeNode(w, lab, list(c)) for w, lab, c in zip(wids, labels, clusters)]
        for x, y in edges:
            nodes[x].neighbors.append(y)
            nodes[y].neighbors.append(x)
        root = max(i for i, c in enumerate(clusters) if min(c) == 0)
        if root:  # swap the root into place 0 and renumber neighbor references
            nodes[0], nodes[root] = nodes[root], nodes[0]
            swap = {0: root, root: 0}
            for node in nodes:
                node.neighbors = [swap.get(n, n) for n in node.neighbors]
        return cls(smiles, mol, nodes)

    def __len__(self) -> int:
        return len(self.nodes)
