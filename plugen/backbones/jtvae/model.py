"""The JT-VAE model: SMILES <-> latent ``(n, 56)`` (28 tree dimensions, then 28 graph ones).

:class:`JTVAE` holds the networks of the Junction Tree VAE (Jin, Barzilay & Jaakkola,
"Junction Tree Variational Autoencoder for Molecular Graph Generation", ICML 2018,
https://github.com/wengong-jin/icml18-jtnn, MIT licence), re-implemented for Python 3 / torch
so that the published checkpoint loads (:func:`plugen.backbones.jtvae.weights.load_jtvae`).

* :meth:`JTVAE.encode`: SMILES -> ``(mean, log_var)`` float32 ``(n, 56)``; the tree half from
  junction-tree GRU messages, the graph half from the MPN; ``log_var = -|linear|`` as trained.
* :meth:`JTVAE.decode`: latents -> SMILES (tree decoding, then graph assembly; see
  :mod:`.decoder`); None for a latent that does not assemble.
* :meth:`JTVAE.sample`: decode z ~ N(0, I).

Everything runs without gradients on the CPU; SMILES are canonicalized before encoding, so the
latent is a function of the molecule, not of how it is written.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from rdkit import Chem
from torch import Tensor, nn

from plugen.backbones.jtvae.chem import JunctionTree, OutOfVocabulary, Vocab
from plugen.backbones.jtvae.encoder import CandidateEncoder, GraphEncoder, TreeEncoder

log = logging.getLogger(__name__)

# kinds of SMILES that cannot be encoded (keys of Encoding.skipped)
INVALID, OUT_OF_VOCABULARY = "invalid", "out_of_vocabulary"


@dataclass
class Encoding:
    """``mean`` and ``log_var`` float32 ``(n, latent)``; unpacks as ``mean, log_var``.

    Rows of SMILES that could not be encoded are NaN: ``errors`` maps their index to the
    reason, ``skipped`` counts them by kind (``invalid``: unparsable or several fragments;
    ``out_of_vocabulary``: a cluster outside the vocabulary).
    """

    mean: Tensor
    log_var: Tensor
    errors: dict[int, str] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Tensor]:
        return iter((self.mean, self.log_var))


class JTVAE(nn.Module):
    """Junction Tree VAE networks plus the cluster vocabulary."""

    def __init__(self, vocab: Vocab, hidden: int = 450, latent: int = 56, depth: int = 3):
        super().__init__()
        from plugen.backbones.jtvae.decoder import TreeDecoder

        if latent % 2:
            raise ValueError(f"latent size must be even (tree + graph halves), got {latent}")
        self.vocab, self.hidden, self.latent, self.depth = vocab, hidden, latent, depth
        self.embedding = nn.Embedding(len(vocab), hidden)
        self.tree_encoder = TreeEncoder(self.embedding, hidden)
        self.graph_encoder = GraphEncoder(hidden, depth)
        self.candidate_encoder = CandidateEncoder(hidden, depth)
        self.tree_decoder = TreeDecoder(self.embedding, vocab, hidden, latent // 2)
        half = latent // 2
        self.T_mean = nn.Linear(hidden, half)
        self.T_var = nn.Linear(hidden, half)
        self.G_mean = nn.Linear(hidden, half)
        self.G_var = nn.Linear(hidden, half)
        self.source: dict = {}

    # ------------------------------------------------------------------ encoding
    def junction_trees(
        self, smiles: Sequence[str]
    ) -> tuple[list[JunctionTree | None], dict[int, str], dict[str, int]]:
        """Canonicalize and decompose each SMILES. Returns the trees (None for failures), the
        reason per failed index, and the failure counts by kind (see :class:`Encoding`)."""
        trees: list[JunctionTree | None] = []
        errors: dict[int, str] = {}
        kinds: Counter[str] = Counter()
        for i, s in enumerate(smiles):
            mol = Chem.MolFromSmiles(s) if isinstance(s, str) and s else None
            if mol is None:
                trees.append(None)
                errors[i], kinds[INVALID] = "not a valid SMILES", kinds[INVALID] + 1
                continue
            try:
                trees.append(JunctionTree.from_smiles(Chem.MolToSmiles(mol), self.vocab))
            except OutOfVocabulary as err:
                trees.append(None)
                errors[i], kinds[OUT_OF_VOCABULARY] = str(err), kinds[OUT_OF_VOCABULARY] + 1
            except ValueError as err:
                trees.append(None)
                errors[i], kinds[INVALID] = str(err), kinds[INVALID] + 1
        if errors:
            log.info(
                "JT-VAE cannot encode %d of %d SMILES: %s", len(errors), len(smiles), dict(kinds)
            )
        return trees, errors, dict(kinds)

    @torch.no_grad()
    def encode_trees(self, trees: Sequence[JunctionTree]) -> tuple[Tensor, Tensor]:
        """``(mean, log_var)`` ``(len(trees), latent)`` of decomposed molecule graphs."""
        if not trees:
            empty = torch.zeros(0, self.latent)
            return empty, empty.clone()
        tree_input = [([n.wid for n in t.nodes], [n.neighbors for n in t.nodes]) for t in trees]
        tree_vec, _, _ = self.tree_encoder(tree_input)
        graph_vec = self.graph_encoder([t.mol for t in trees])
        mean = torch.cat([self.T_mean(tree_vec), self.G_mean(graph_vec)], dim=1)
        log_var = -torch.cat([self.T_var(tree_vec), self.G_var(graph_vec)], dim=1).abs()
        return mean, log_var

    def encode(self, smiles: Sequence[str], batch_size: int = 256, strict: bool = True) -> Encoding:
        """Encode ``smiles``: :class:`Encoding` with float32 ``(n, latent)`` tensors.

        With ``strict`` a ValueError (one line) lists the indices that cannot be encoded;
        otherwise their rows are NaN and ``errors`` names them. Results do not depend on
        ``batch_size`` (beyond float rounding).
        """
        smiles = list(smiles)
        trees, errors, skipped = self.junction_trees(smiles)
        if strict and errors:
            shown = "; ".join(f"#{i} {smiles[i]!r}: {why}" for i, why in list(errors.items())[:5])
            more = f" (+{len(errors) - 5} more)" if len(errors) > 5 else ""
            raise ValueError(
                f"{len(errors)} of {len(smiles)} SMILES cannot be encoded: {shown}{more}"
            )
        mean = torch.full((len(smiles), self.latent), float("nan"))
        log_var = mean.clone()
        ok = [i for i, t in enumerate(trees) if t is not None]
        for start in range(0, len(ok), batch_size):
            idx = ok[start : start + batch_size]
            m, lv = self.encode_trees([trees[i] for i in idx])
            mean[idx], log_var[idx] = m, lv
        return Encoding(mean, log_var, errors, skipped)

    # ------------------------------------------------------------------ decoding
    @torch.no_grad()
    def decode(
        self,
        z: Tensor | np.ndarray,
        stochastic: bool = False,
        generator: torch.Generator | None = None,
    ) -> list[str | None]:
        """SMILES of latents ``z`` ``(n, latent)`` (None where assembly fails or ``z`` is not
        finite, e.g. the NaN rows of a non-strict :meth:`encode`).

        Greedy (argmax) tree decoding and assembly by default; ``stochastic`` samples stop,
        cluster and attachment decisions (``generator`` for reproducibility).
        """
        from plugen.backbones.jtvae.decoder import decode_latent

        z = torch.as_tensor(np.asarray(z, dtype=np.float32) if not torch.is_tensor(z) else z)
        if z.ndim != 2 or z.shape[1] != self.latent:
            raise ValueError(f"latents must be (n, {self.latent}), got {tuple(z.shape)}")
        z = z.float()
        half = self.latent // 2
        return [
            decode_latent(self, z[i : i + 1, :half], z[i : i + 1, half:], stochastic, generator)
            if bool(torch.isfinite(z[i]).all())
            else None
            for i in range(z.shape[0])
        ]

    def sample(self, n: int, seed: int | None = None, stochastic: bool = False) -> list[str | None]:
        """Decode ``n`` latents drawn from N(0, I) (seeded by ``seed``)."""
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        z = torch.randn(n, self.latent, generator=gen)
        return self.decode(z, stochastic=stochastic, generator=gen)
