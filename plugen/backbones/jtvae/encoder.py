"""JT-VAE networks that read structures: tree GRU message passing, graph message passing (MPN)
and the candidate-graph network used in assembly (JTMPN).

Shapes (H = hidden size, 450 for the published weights):

* :class:`TreeEncoder`: junction trees -> root vectors ``(n_trees, H)`` plus one message
  ``(H,)`` per directed tree edge (the decoder's assembly reads them).
* :class:`GraphEncoder`: kekulized molecule graphs -> ``(n_mols, H)`` (mean of atom states).
* :class:`CandidateEncoder`: candidate attachments (molecule graphs whose atom-map numbers name tree
  nodes) plus tree messages -> ``(n_cands, H)``.

Message passing is written with flat index lists (``index_add``) instead of the original's
padded neighbour tables, which gives the same sums without a cap on neighbours.

Networks and features follow the Junction Tree VAE of Jin, Barzilay & Jaakkola (ICML 2018,
https://github.com/wengong-jin/icml18-jtnn, MIT licence), so that its published weights apply;
the code is an independent re-implementation.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

import torch
from rdkit import Chem
from torch import Tensor, nn

ELEMENTS = ("C", "N", "O", "S", "F", "Si", "P", "Cl", "Br", "Mg", "Na", "Ca", "Fe", "Al", "I")
ELEMENTS += ("B", "K", "Se", "Zn", "H", "Cu", "Mn", "unknown")
DEGREES = (0, 1, 2, 3, 4, 5)
CHARGES = (-1, -2, 1, 2, 0)
CHIRAL_TAGS = (0, 1, 2, 3)
BOND_STEREO = (0, 1, 2, 3, 4, 5)
_BOND_TYPES = (
    Chem.BondType.SINGLE,
    Chem.BondType.DOUBLE,
    Chem.BondType.TRIPLE,
    Chem.BondType.AROMATIC,
)
# graph encoder (MPN): atoms 39, bonds 11; candidate encoder (JTMPN): atoms 35, bonds 5
MPN_ATOM_DIM = len(ELEMENTS) + len(DEGREES) + len(CHARGES) + len(CHIRAL_TAGS) + 1
MPN_BOND_DIM = 5 + len(BOND_STEREO)
JTMPN_ATOM_DIM = len(ELEMENTS) + len(DEGREES) + len(CHARGES) + 1
JTMPN_BOND_DIM = 5


def _one_hot(value, choices: Sequence) -> list[float]:
    """One-hot of ``value`` in ``choices``; unknown values count as the last choice."""
    if value not in choices:
        value = choices[-1]
    return [float(value == c) for c in choices]


def atom_features(atom: Chem.Atom, chirality: bool) -> list[float]:
    """Element, degree, formal charge, (chiral tag,) aromatic flag."""
    out = _one_hot(atom.GetSymbol(), ELEMENTS) + _one_hot(atom.GetDegree(), DEGREES)
    out += _one_hot(atom.GetFormalCharge(), CHARGES)
    if chirality:
        out += _one_hot(int(atom.GetChiralTag()), CHIRAL_TAGS)
    return out + [float(atom.GetIsAromatic())]


def bond_features(bond: Chem.Bond, stereo: bool) -> list[float]:
    """Bond type (single, double, triple, aromatic), in-ring flag, (stereo one-hot)."""
    out = [float(bond.GetBondType() == t) for t in _BOND_TYPES] + [float(bond.IsInRing())]
    if stereo:
        out += _one_hot(int(bond.GetStereo()), BOND_STEREO)
    return out


class TreeGRU(nn.Module):
    """The junction tree's GRU: new message of edge x->y from x's embedding ``x`` ``(m, H)`` and
    the messages into x from its other neighbours, given flat as ``h_in`` ``(k, H)`` with
    ``target`` ``(k,)`` naming the row of ``x`` each belongs to. Returns ``(m, H)``.

    The encoder's and decoder's copies differ only in which reset-gate layer has a bias.
    """

    def __init__(self, hidden: int, w_r_bias: bool, u_r_bias: bool):
        super().__init__()
        self.W_z = nn.Linear(2 * hidden, hidden)
        self.W_r = nn.Linear(hidden, hidden, bias=w_r_bias)
        self.U_r = nn.Linear(hidden, hidden, bias=u_r_bias)
        self.W_h = nn.Linear(2 * hidden, hidden)

    def forward(self, x: Tensor, h_in: Tensor, target: Tensor) -> Tensor:
        sum_h = x.new_zeros(x.shape).index_add(0, target, h_in)
        reset = torch.sigmoid(self.W_r(x)[target] + self.U_r(h_in))
        sum_gated = x.new_zeros(x.shape).index_add(0, target, reset * h_in)
        update = torch.sigmoid(self.W_z(torch.cat([x, sum_h], dim=1)))
        candidate = torch.tanh(self.W_h(torch.cat([x, sum_gated], dim=1)))
        return (1.0 - update) * sum_h + update * candidate


def message_schedule(neighbors: Sequence[Sequence[int]]) -> list[list[tuple[int, int]]]:
    """Directed tree edges grouped in steps so that every message's inputs come earlier:
    leaves-to-root levels (deepest first), then root-to-leaves levels. ``neighbors[i]`` are
    node i's neighbour indices; node 0 is the root; nodes not reached from it are ignored."""
    down: list[list[tuple[int, int]]] = []
    depth = {0: 0}
    queue = deque([0])
    while queue:
        x = queue.popleft()
        for y in neighbors[x]:
            if y not in depth:
                depth[y] = depth[x] + 1
                queue.append(y)
                if depth[y] > len(down):
                    down.append([])
                down[depth[y] - 1].append((x, y))
    up = [[(y, x) for x, y in level] for level in reversed(down)]
    return up + down


class TreeEncoder(nn.Module):
    """Bottom-up then top-down GRU messages over junction trees, then the root's state."""

    def __init__(self, embedding: nn.Embedding, hidden: int):
        super().__init__()
        self.embedding = embedding
        self.gru = TreeGRU(hidden, w_r_bias=False, u_r_bias=True)
        self.W = nn.Linear(2 * hidden, hidden)

    def forward(
        self, trees: Sequence[tuple[Sequence[int], Sequence[Sequence[int]]]]
    ) -> tuple[Tensor, Tensor, dict[tuple[int, int, int], int]]:
        """``trees``: per tree ``(wids, neighbors)`` with node 0 the root.

        Returns ``(root_vecs (n_trees, H), messages (n_edges, H), rows)`` where
        ``rows[(tree, x, y)]`` is the row of the message x->y.
        """
        weight = self.embedding.weight
        hidden = weight.shape[1]
        schedules = [message_schedule(nbrs) for _, nbrs in trees]
        rows: dict[tuple[int, int, int], int] = {}
        n_edges = sum(len(level) for s in schedules for level in s)
        messages = weight.new_zeros(n_edges, hidden)
        for t in range(max((len(s) for s in schedules), default=0)):
            wids, target, sources, edges = [], [], [], []
            for b, s in enumerate(schedules):
                if t >= len(s):
                    continue
                tree_wids, nbrs = trees[b]
                for x, y in s[t]:
                    for z in nbrs[x]:
                        if z != y:
                            target.append(len(edges))
                            sources.append(rows[(b, z, x)])
                    edges.append((b, x, y))
                    wids.append(tree_wids[x])
            x_emb = self.embedding(torch.tensor(wids, device=weight.device))
            new = self.gru(
                x_emb,
                messages[torch.tensor(sources, dtype=torch.long, device=weight.device)],
                torch.tensor(target, dtype=torch.long, device=weight.device),
            )
            first = len(rows)
            for i, edge in enumerate(edges):
                rows[edge] = first + i
            messages = messages.index_copy(0, torch.arange(first, first + len(edges)), new)
        root_vecs = self.aggregate(
            [w[0] for w, _ in trees],
            [
                [rows[(b, y, 0)] for y in nbrs[0] if (b, y, 0) in rows]
                for b, (_, nbrs) in enumerate(trees)
            ],
            messages,
        )
        return root_vecs, messages, rows

    def aggregate(self, wids: Sequence[int], incoming: Sequence[Sequence[int]], messages: Tensor):
        """Node states ``(len(wids), H)``: ReLU(W [embedding; sum of incoming messages])."""
        x_emb = self.embedding(torch.tensor(list(wids), device=messages.device))
        target = [i for i, rws in enumerate(incoming) for _ in rws]
        sources = [r for rws in incoming for r in rws]
        summed = x_emb.new_zeros(x_emb.shape).index_add(
            0,
            torch.tensor(target, dtype=torch.long),
            messages[torch.tensor(sources, dtype=torch.long)],
        )
        return torch.relu(self.W(torch.cat([x_emb, summed], dim=1)))


def _graph_tensors(mols: Sequence[Chem.Mol], full: bool, links=None):
    """Flat tensors of a batch of molecule graphs for message passing over directed bonds.

    ``links(mol_index, begin_atom, end_atom)`` (candidate graphs only) returns the tree
    message rows flowing into (end atom, begin atom) of a bond, as two lists.
    Returns ``fatoms, fbonds, bond_dst, pairs_tgt, pairs_src, tree_pairs, atom_tree, mol_of``
    where ``pairs`` are (directed bond, incoming directed bond) and ``tree_pairs``/``atom_tree``
    list (directed bond or atom, tree message row).
    """
    fatoms, fbonds, bond_src, bond_dst, mol_of = [], [], [], [], []
    in_bonds: list[list[int]] = []  # per atom: incoming directed bonds
    in_tree: list[list[int]] = []  # per atom: incoming tree messages
    for m, mol in enumerate(mols):
        offset = len(fatoms)
        for atom in mol.GetAtoms():
            fatoms.append(atom_features(atom, chirality=full))
            in_bonds.append([])
            in_tree.append([])
            mol_of.append(m)
        for bond in mol.GetBonds():
            a, b = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
            feat = bond_features(bond, stereo=full)
            for x, y in ((a, b), (b, a)):
                in_bonds[offset + y].append(len(fbonds))
                bond_src.append(offset + x)
                bond_dst.append(offset + y)
                fbonds.append(fatoms[offset + x] + feat)
            if links is not None:
                into_b, into_a = links(m, bond.GetBeginAtom(), bond.GetEndAtom())
                in_tree[offset + b].extend(into_b)
                in_tree[offset + a].extend(into_a)
    pairs_tgt, pairs_src, tree_pairs = [], [], []
    for bnd, (x, y) in enumerate(zip(bond_src, bond_dst)):
        for prev in in_bonds[x]:
            if bond_src[prev] != y:
                pairs_tgt.append(bnd)
                pairs_src.append(prev)
        tree_pairs.extend((bnd, row) for row in in_tree[x])
    atom_tree = [(a, row) for a, rws in enumerate(in_tree) for row in rws]
    return fatoms, fbonds, bond_dst, pairs_tgt, pairs_src, tree_pairs, atom_tree, mol_of


def _long(values) -> Tensor:
    return torch.tensor(values, dtype=torch.long)


class _GraphNet(nn.Module):
    """Shared body of the graph encoders (``depth`` rounds over directed bonds)."""

    def __init__(self, atom_dim: int, bond_dim: int, hidden: int, depth: int):
        super().__init__()
        self.depth = depth
        self.W_i = nn.Linear(atom_dim + bond_dim, hidden, bias=False)
        self.W_h = nn.Linear(hidden, hidden, bias=False)
        self.W_o = nn.Linear(atom_dim + hidden, hidden)

    def _run(self, mols, full: bool, links=None, tree_messages: Tensor | None = None) -> Tensor:
        fatoms, fbonds, dst, p_tgt, p_src, t_pairs, a_tree, mol_of = _graph_tensors(
            mols, full, links
        )
        dtype = self.W_o.weight.dtype
        fatoms_t = torch.tensor(fatoms, dtype=dtype)
        hidden = self.W_o.weight.shape[0]
        n_bonds, n_atoms = len(fbonds), len(fatoms)
        p_tgt_t, p_src_t, dst_t = _long(p_tgt), _long(p_src), _long(dst)
        tree_in = fatoms_t.new_zeros(n_bonds, hidden)
        atom_in = fatoms_t.new_zeros(n_atoms, hidden)
        if t_pairs:
            t = _long(t_pairs)
            tree_in = tree_in.index_add(0, t[:, 0], tree_messages[t[:, 1]])
        if a_tree:
            t = _long(a_tree)
            atom_in = atom_in.index_add(0, t[:, 0], tree_messages[t[:, 1]])
        if n_bonds:
            binput = self.W_i(torch.tensor(fbonds, dtype=dtype))
            message = torch.relu(binput)
            for _ in range(self.depth - 1):
                nei = tree_in.index_add(0, p_tgt_t, message[p_src_t])
                message = torch.relu(binput + self.W_h(nei))
            atom_in = atom_in.index_add(0, dst_t, message)
        states = torch.relu(self.W_o(torch.cat([fatoms_t, atom_in], dim=1)))
        mol_of_t = _long(mol_of)
        sums = states.new_zeros(len(mols), hidden).index_add(0, mol_of_t, states)
        counts = torch.bincount(mol_of_t, minlength=len(mols)).to(dtype).unsqueeze(1)
        return sums / counts


class GraphEncoder(_GraphNet):
    """MPN over molecule graphs (with chirality and bond stereo features): ``(n_mols, H)``."""

    def __init__(self, hidden: int, depth: int):
        super().__init__(MPN_ATOM_DIM, MPN_BOND_DIM, hidden, depth)

    def forward(self, mols: Sequence[Chem.Mol]) -> Tensor:
        return self._run(mols, full=True)


class CandidateEncoder(_GraphNet):
    """JTMPN: message passing over candidate attachments, where bonds between atoms of two
    different tree nodes also receive the tree message between those nodes."""

    def __init__(self, hidden: int, depth: int):
        super().__init__(JTMPN_ATOM_DIM, JTMPN_BOND_DIM, hidden, depth)

    def forward(
        self, cands: Sequence[Chem.Mol], tree_messages: Tensor, rows: dict[tuple[int, int], int]
    ) -> Tensor:
        """``cands``: kekulized molecule graphs whose atom-map number is tree node index + 1 (0: no
        node); ``rows[(x, y)]``: row in ``tree_messages`` of the tree message x->y."""

        def links(_m, a1: Chem.Atom, a2: Chem.Atom):
            x, y = a1.GetAtomMapNum() - 1, a2.GetAtomMapNum() - 1
            if x < 0 or y < 0 or x == y:
                return [], []
            into_2 = [rows[(x, y)]] if (x, y) in rows else []
            into_1 = [rows[(y, x)]] if (y, x) in rows else []
            return into_2, into_1

        return self._run(cands, full=False, links=links, tree_messages=tree_messages)
