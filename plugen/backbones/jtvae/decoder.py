"""JT-VAE decoding: a latent's tree half grows a junction tree, its graph half picks how the
clusters are attached, then the stereo-isomer.

1. :meth:`TreeDecoder.decode` grows the tree depth-first from a root cluster: at each step a
   *stop* head decides between adding a child and going back to the parent, a *word* head
   ranks the vocabulary for the child; the first of the top five clusters whose atoms can bond
   to the current cluster is taken. Greedy (argmax) by default, sampled when stochastic.
2. :func:`decode_latent` assembles the molecule root-first: for each node, all valid
   attachments of its children (:mod:`.attach`) are scored by the candidate encoder (JTMPN,
   fed the tree messages) against the graph latent; the best is tried first, with backtracking
   when a later node cannot be attached.
3. Stereo-isomers of the result are scored by the graph encoder against the graph latent.

After the Junction Tree VAE of Jin, Barzilay & Jaakkola (ICML 2018,
https://github.com/wengong-jin/icml18-jtnn, MIT licence); independent re-implementation.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import torch
from rdkit import Chem
from torch import Tensor, nn

from plugen.backbones.jtvae.attach import (
    Part,
    attach_parts,
    enumerate_assemblies,
    order_neighbors,
)
from plugen.backbones.jtvae.chem import Slot, Vocab, editable_copy, kekule_mol, set_atom_map
from plugen.backbones.jtvae.encoder import TreeGRU

MAX_TREE_STEPS = 100  # decoding steps (expansions + returns) per tree
TOP_WORDS = 5  # clusters tried per expansion
MAX_ASSEMBLY_TRIES = 5000  # attachment attempts per molecule before giving up (hang guard)


def have_slots(fa_slots: list[Slot], ch_slots: list[Slot]) -> bool:
    """Whether a child cluster can bond to its father by atom types; like the original, an
    atom of a two-atom cluster that is the only match is used up (removed from the list)."""
    if len(fa_slots) > 2 and len(ch_slots) > 2:
        return True
    matches = [
        (i, j)
        for i, (a1, c1, h1) in enumerate(fa_slots)
        for j, (a2, c2, h2) in enumerate(ch_slots)
        if a1 == a2 and c1 == c2 and (a1 != "C" or h1 + h2 >= 4)
    ]
    if not matches:
        return False
    fa_match = {i for i, _ in matches}
    ch_match = {j for _, j in matches}
    if len(fa_match) == 1 and 1 < len(fa_slots) <= 2:
        fa_slots.pop(matches[0][0])
    if len(ch_match) == 1 and 1 < len(ch_slots) <= 2:
        ch_slots.pop(matches[0][1])
    return True


@dataclass
class DecodedTree:
    """A decoded junction tree: word ids and neighbour lists (node 0 is the root)."""

    wids: list[int] = field(default_factory=list)
    neighbors: list[list[int]] = field(default_factory=list)


class TreeDecoder(nn.Module):
    """Stop and word heads over GRU messages of the growing tree (``latent`` = tree half)."""

    def __init__(self, embedding: nn.Embedding, vocab: Vocab, hidden: int, latent: int):
        super().__init__()
        self.embedding, self.vocab = embedding, vocab
        self.gru = TreeGRU(hidden, w_r_bias=True, u_r_bias=False)
        self.W = nn.Linear(latent + hidden, hidden)
        self.U = nn.Linear(latent + 2 * hidden, hidden)
        self.W_o = nn.Linear(hidden, len(vocab))
        self.U_s = nn.Linear(hidden, 1)

    def _can_attach(self, tree: DecodedTree, x: int, wid: int) -> bool:
        parts = [
            Part(i, self.vocab.shared_mol(tree.wids[y])) for i, y in enumerate(tree.neighbors[x])
        ]
        parts.append(Part(len(parts), self.vocab.shared_mol(wid)))
        ctr = Part(-1, self.vocab.shared_mol(tree.wids[x]))
        return len(enumerate_assemblies(ctr, order_neighbors(parts))) > 0

    def _gru(self, x_emb: Tensor, incoming: list[Tensor]) -> Tensor:
        if not incoming:
            h_in = x_emb.new_zeros(0, x_emb.shape[1])
        else:
            h_in = torch.stack(incoming)
        target = torch.zeros(h_in.shape[0], dtype=torch.long)
        return self.gru(x_emb, h_in, target)

    @torch.no_grad()
    def decode(self, z: Tensor, stochastic: bool = False, generator=None) -> DecodedTree:
        """Grow a tree from the tree latent ``z`` ``(1, latent)``."""
        hidden = self.embedding.weight.shape[1]
        root_h = torch.relu(self.W(torch.cat([z.new_zeros(1, hidden), z], dim=1)))
        tree = DecodedTree([int(self.W_o(root_h).argmax(dim=1))], [[]])
        stack: list[tuple[int, list[Slot]]] = [(0, self.vocab.slots(tree.wids[0]))]
        messages: dict[tuple[int, int], Tensor] = {}
        for _ in range(MAX_TREE_STEPS):
            x, fa_slots = stack[-1]
            incoming = [messages[(y, x)] for y in tree.neighbors[x]]
            x_emb = self.embedding.weight[tree.wids[x]].unsqueeze(0)
            h_sum = torch.stack(incoming).sum(0, keepdim=True) if incoming else x_emb * 0
            stop_h = torch.relu(self.U(torch.cat([x_emb, h_sum, z], dim=1)))
            p_expand = torch.sigmoid(20 * self.U_s(stop_h)).squeeze()
            if stochastic:
                go_back = bool(torch.bernoulli(1.0 - p_expand, generator=generator) == 1)
            else:
                go_back = bool(p_expand < 0.5)
            if not go_back:
                new_h = self._gru(x_emb, incoming)
                word_h = torch.relu(self.W(torch.cat([new_h, z], dim=1)))
                scores = 20 * self.W_o(word_h).squeeze(0)
                if stochastic:
                    probs = torch.softmax(scores, dim=0)
                    ranked = torch.multinomial(probs, TOP_WORDS, generator=generator)
                else:
                    ranked = torch.argsort(scores, descending=True)[:TOP_WORDS]
                chosen = None
                for wid in ranked.tolist():
                    slots = self.vocab.slots(wid)
                    if have_slots(fa_slots, slots) and self._can_attach(tree, x, wid):
                        chosen = (wid, slots)
                        break
                if chosen is None:
                    go_back = True
                else:
                    y = len(tree.wids)
                    tree.wids.append(chosen[0])
                    tree.neighbors.append([x])
                    messages[(x, y)] = new_h[0]
                    stack.append((y, chosen[1]))
            if go_back:
                if len(stack) == 1:
                    break
                fa = stack[-2][0]
                incoming = [messages[(y, x)] for y in tree.neighbors[x] if y != fa]
                messages[(x, fa)] = self._gru(x_emb, incoming)[0]
                tree.neighbors[fa].append(x)
                stack.pop()
        return tree


def _legacy_stereo_isomers(smiles: str, max_isomers: int = 1024) -> list[Chem.Mol]:
    """Stereo-isomers over the stereocentres and double bonds that RDKit's *legacy* perception
    flags as possible (what RDKit's enumerator used when the weights were trained; the newer
    one also flips ring cis/trans centres such as 1,4-disubstituted cyclohexanes)."""
    mol = Chem.MolFromSmiles(smiles)
    Chem.AssignStereochemistry(mol, cleanIt=True, force=True, flagPossibleStereoCenters=True)
    Chem.FindPotentialStereoBonds(mol, cleanIt=False)
    atoms = [
        a
        for a in mol.GetAtoms()
        if a.HasProp("_ChiralityPossible") and a.GetChiralTag() == Chem.ChiralType.CHI_UNSPECIFIED
    ]
    bonds = [b for b in mol.GetBonds() if b.GetStereo() == Chem.BondStereo.STEREOANY]
    n_flip = len(atoms) + len(bonds)
    if n_flip == 0:
        return [mol]
    out, seen = [], set()
    for bits in range(min(2**n_flip, max_isomers)):
        for i, atom in enumerate(atoms):
            cw = bool(bits & (1 << i))
            atom.SetChiralTag(Chem.CHI_TETRAHEDRAL_CW if cw else Chem.CHI_TETRAHEDRAL_CCW)
        for k, bond in enumerate(bonds):
            cis = bool(bits & (1 << (len(atoms) + k)))
            bond.SetStereo(Chem.BondStereo.STEREOCIS if cis else Chem.BondStereo.STEREOTRANS)
        isomer = Chem.Mol(mol)
        Chem.SetDoubleBondNeighborDirections(isomer)
        isomer.ClearComputedProps(includeRings=False)
        Chem.AssignStereochemistry(isomer, cleanIt=True, force=True)
        key = Chem.MolToSmiles(isomer)
        if key not in seen:
            seen.add(key)
            out.append(isomer)
    return out


def stereo_candidates(smiles: str) -> list[str]:
    """Isomeric SMILES of the stereo-isomers of ``smiles`` (plus, where nitrogens are chiral,
    the same with nitrogen stereo removed), as the original enumerates them."""
    isomers = [Chem.MolFromSmiles(Chem.MolToSmiles(m)) for m in _legacy_stereo_isomers(smiles)]
    out = [Chem.MolToSmiles(m) for m in isomers]
    chiral_n = [
        a.GetIdx()
        for a in isomers[0].GetAtoms()
        if int(a.GetChiralTag()) > 0 and a.GetSymbol() == "N"
    ]
    if chiral_n:
        for m in isomers:
            for idx in chiral_n:
                m.GetAtomWithIdx(idx).SetChiralTag(Chem.ChiralType.CHI_UNSPECIFIED)
            out.append(Chem.MolToSmiles(m))
    return out


class _Assembler:
    """Depth-first assembly of one decoded tree (state shared by the recursion)."""

    def __init__(self, model, tree: DecodedTree, z_graph: Tensor, stochastic: bool, generator):
        self.model, self.z, self.stochastic, self.gen = (
            model,
            z_graph.squeeze(0),
            stochastic,
            generator,
        )
        self.neighbors = tree.neighbors
        self.parts = []
        for i, wid in enumerate(tree.wids):
            mol = model.vocab.mol(wid)
            if len(tree.neighbors[i]) > 1:
                set_atom_map(mol, i + 1)
            self.parts.append(Part(i + 1, mol))
        _, messages, rows = model.tree_encoder([(tree.wids, tree.neighbors)])
        self.messages = messages
        self.rows = {(x, y): r for (_, x, y), r in rows.items()}
        self.tries = 0

    def is_leaf(self, i: int) -> bool:
        return len(self.neighbors[i]) == 1

    def run(self) -> Chem.RWMol | None:
        cur = editable_copy(self.parts[0].mol)
        amaps = [{}] + [{} for _ in self.parts]
        amaps[1] = {a: a for a in range(cur.GetNumAtoms())}
        return self.assemble(cur, amaps, [], 0, None)

    def _order(self, scores: Tensor) -> list[int]:
        if self.stochastic:
            probs = torch.softmax(scores, dim=0) + 1e-5
            return torch.multinomial(probs, probs.numel(), generator=self.gen).tolist()
        return torch.argsort(scores, descending=True).tolist()

    def assemble(self, cur, amaps, fa_amap, node: int, father: int | None):
        ctr = self.parts[node]
        fa_nid = self.parts[father].nid if father is not None else -1
        fathers = [self.parts[father]] if father is not None else []
        child_ids = [y for y in self.neighbors[node] if y != father]
        children = [self.parts[y] for y in child_ids]
        start = [(fa_nid, a2, a1) for nid, a1, a2 in fa_amap if nid == ctr.nid]
        cands = enumerate_assemblies(ctr, order_neighbors(children), fathers, start)
        if not cands:
            return None
        vecs = self.model.G_mean(
            self.model.candidate_encoder([c[1] for c in cands], self.messages, self.rows)
        )
        backup = Chem.RWMol(cur)
        for k in self._order(vecs @ self.z * 20):
            self.tries += 1
            if self.tries > MAX_ASSEMBLY_TRIES:
                return None
            cur = Chem.RWMol(backup)
            pred_amap = cands[k][2]
            new_amaps = copy.deepcopy(amaps)
            for nid, ctr_atom, nei_atom in pred_amap:
                if nid != fa_nid:
                    new_amaps[nid][nei_atom] = new_amaps[ctr.nid][ctr_atom]
            cur = attach_parts(cur, children, [], new_amaps)
            if Chem.MolFromSmiles(Chem.MolToSmiles(cur.GetMol())) is None:
                continue
            for y in child_ids:
                if self.is_leaf(y):
                    continue
                cur = self.assemble(cur, new_amaps, pred_amap, y, node)
                if cur is None:
                    break
            if cur is not None:
                return cur
        return None


@torch.no_grad()
def decode_latent(model, z_tree: Tensor, z_graph: Tensor, stochastic: bool = False, generator=None):
    """SMILES decoded from one latent (tree half ``(1, L/2)``, graph half ``(1, L/2)``), or None
    when no assembly of the decoded tree is a valid molecule."""
    tree = model.tree_decoder.decode(z_tree, stochastic, generator)
    mol = _Assembler(model, tree, z_graph, stochastic, generator).run()
    if mol is None:
        return None
    mol = mol.GetMol()
    set_atom_map(mol)
    mol = Chem.MolFromSmiles(Chem.MolToSmiles(mol))
    if mol is None:
        return None
    cands = stereo_candidates(Chem.MolToSmiles(mol))
    if len(cands) == 1:
        return cands[0]
    graph_vecs = model.G_mean(model.graph_encoder([kekule_mol(s) for s in cands]))
    scores = torch.cosine_similarity(graph_vecs, z_graph, dim=1)
    return cands[int(scores.argmax())]
