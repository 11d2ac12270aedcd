"""Character-level VAE over SMILES (or SELFIES): the frozen backbone of the molecule experiment.

A GRU encoder reads the token sequence and gives the posterior N(mu, diag(exp(logvar)));
a GRU decoder, conditioned on z at every step, is trained with teacher forcing and decodes
greedily. SELFIES (``representation="selfies"``) makes every decoded string a valid molecule.
The KL weight is annealed linearly over the first ``kl_anneal_epochs`` epochs, step by step.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence

from plugen.backbones.image_vae import kl_per_dim
from plugen.checkpoint import load_checkpoint, save_checkpoint
from plugen.experiments.molecules.chem import uniqueness, validity
from plugen.experiments.molecules.data import canonical_smiles
from plugen.nn import module_device
from plugen.train import History, TrainConfig, seed_everything, train

log = logging.getLogger(__name__)

FORMAT = "plugen-charvae"
FORMAT_VERSION = 1
SPECIALS = ("<pad>", "<bos>", "<eos>", "<unk>")
PAD, BOS, EOS, UNK = range(4)
# bracket atoms, two-letter halogens, %nn ring closures, then any single character
_SMILES_TOKENS = re.compile(r"(\[[^\]]+\]|Br|Cl|%\d{2}|.)")
_SELFIES_TOKENS = re.compile(r"(\[[^\]]*\]|.)")


# --------------------------------------------------------------------------- vocabulary
class Vocabulary:
    """Token <-> id map for SMILES or SELFIES strings (ids 0-3: pad, bos, eos, unk).

    Text in and out is always SMILES; with ``representation="selfies"`` it is converted to
    SELFIES before tokenizing and back after decoding.
    """

    def __init__(self, tokens: Sequence[str], representation: str = "smiles") -> None:
        if representation not in ("smiles", "selfies"):
            raise ValueError(
                f"representation must be 'smiles' or 'selfies', got {representation!r}"
            )
        if tuple(tokens[:4]) != SPECIALS:
            raise ValueError(f"vocabulary must start with the special tokens {SPECIALS}")
        self.tokens = list(tokens)
        self.representation = representation
        self.index = {t: i for i, t in enumerate(self.tokens)}

    def __len__(self) -> int:
        return len(self.tokens)

    def to_text(self, smiles: str) -> str:
        """SMILES -> the model's string (SELFIES when so configured; '' if not encodable)."""
        if self.representation == "smiles":
            return smiles
        import selfies

        try:
            return selfies.encoder(smiles) or ""
        except selfies.EncoderError:
            return ""

    def from_text(self, text: str) -> str:
        """The model's string -> SMILES ('' for an undecodable SELFIES)."""
        if self.representation == "smiles":
            return text
        import selfies

        try:
            return selfies.decoder(text) or ""
        except selfies.DecoderError:
            return ""

    def tokenize(self, smiles: str, converted: bool = False) -> list[str]:
        """SMILES (or, ``converted``, the model's string) -> tokens of the model's
        representation (``Cl``, ``[nH]``, ``[=O]`` ...)."""
        pattern = _SMILES_TOKENS if self.representation == "smiles" else _SELFIES_TOKENS
        return pattern.findall(smiles if converted else self.to_text(smiles))

    @classmethod
    def build(
        cls, smiles: Sequence[str], representation: str = "smiles", converted: bool = False
    ) -> Vocabulary:
        """Vocabulary of every token in ``smiles`` (sorted by frequency, then name);
        ``converted``: the strings are already in ``representation``."""
        probe = cls(SPECIALS, representation)
        counts = Counter(t for s in smiles for t in probe.tokenize(s, converted))
        return cls([*SPECIALS, *sorted(counts, key=lambda t: (-counts[t], t))], representation)

    def encode(
        self, smiles: Sequence[str], length: int | None = None, converted: bool = False
    ) -> Tensor:
        """SMILES (``converted``: the model's strings) -> ids ``(n, L)`` int64: tokens,
        ``<eos>``, ``<pad>`` up to L.

        L = ``length`` or the longest sequence + 1. Unknown tokens become ``<unk>`` (logged);
        raises ValueError when a string needs more than ``length`` positions.
        """
        seqs = [
            [self.index.get(t, UNK) for t in self.tokenize(s, converted)] + [EOS] for s in smiles
        ]
        longest = max((len(q) for q in seqs), default=1)
        length = length or longest
        if longest > length:
            raise ValueError(f"a string has {longest - 1} tokens; at most {length - 1} fit")
        out = torch.full((len(seqs), length), PAD, dtype=torch.long)
        for i, q in enumerate(seqs):
            out[i, : len(q)] = torch.tensor(q)
        n_unk = int((out == UNK).sum())
        if n_unk:
            log.warning("%d tokens not in the vocabulary were mapped to <unk>", n_unk)
        return out

    def decode(self, ids: Tensor | np.ndarray) -> list[str]:
        """Ids ``(n, L)`` -> SMILES, reading up to the first ``<eos>`` (specials skipped)."""
        out = []
        for row in np.asarray(ids).tolist():
            end = row.index(EOS) if EOS in row else len(row)
            text = "".join(self.tokens[i] for i in row[:end] if i > UNK)
            out.append(self.from_text(text))
        return out


# --------------------------------------------------------------------------- the model
@dataclass
class CharVAEConfig:
    """Architecture and objective of a :class:`CharVAE` (stored in checkpoints).

    max_len: longest token sequence the decoder emits (without ``<eos>``); beta: KL weight
    after annealing; word_dropout: probability of hiding a teacher-forced input token, which
    pushes information into z. Defaults suit a few CPU minutes on ~25k molecules; a small beta
    keeps the posterior from collapsing at that budget.
    """

    representation: str = "smiles"
    embed_dim: int = 48
    hidden_dim: int = 192
    latent_dim: int = 56
    n_layers: int = 1
    max_len: int = 80
    beta: float = 0.03
    word_dropout: float = 0.0


class CharVAE(nn.Module):
    """GRU encoder/decoder VAE over token ids; implements the Backbone protocol.

    encode: ids ``(n, L)`` -> posterior mean ``(n, latent_dim)``; decode: z ``(n, latent_dim)``
    -> greedy ids ``(n, max_len + 1)``. ``encode_smiles`` / ``decode_latents`` work on strings.
    """

    def __init__(self, vocab: Vocabulary, config: CharVAEConfig | None = None) -> None:
        super().__init__()
        cfg = config or CharVAEConfig(representation=vocab.representation)
        if cfg.representation != vocab.representation:
            raise ValueError(
                f"config representation {cfg.representation!r} differs from the vocabulary's "
                f"{vocab.representation!r}"
            )
        self.vocab, self.config, self.latent_dim = vocab, cfg, cfg.latent_dim
        h, n_layers = cfg.hidden_dim, cfg.n_layers
        self.embed = nn.Embedding(len(vocab), cfg.embed_dim, padding_idx=PAD)
        self.encoder = nn.GRU(cfg.embed_dim, h, n_layers, batch_first=True, bidirectional=True)
        self.to_posterior = nn.Linear(2 * h, 2 * cfg.latent_dim)
        self.to_hidden = nn.Linear(cfg.latent_dim, n_layers * h)
        self.decoder = nn.GRU(cfg.embed_dim + cfg.latent_dim, h, n_layers, batch_first=True)
        self.to_logits = nn.Linear(h, len(vocab))

    def posterior(self, ids: Tensor) -> tuple[Tensor, Tensor]:
        """ids ``(n, L)`` -> (mean, log-variance), each ``(n, latent_dim)``."""
        lengths = (ids != PAD).sum(1).clamp(min=1).cpu()
        packed = pack_padded_sequence(self.embed(ids), lengths, True, enforce_sorted=False)
        _, h_n = self.encoder(packed)  # (2 * n_layers, n, h)
        mu, logvar = self.to_posterior(torch.cat([h_n[-2], h_n[-1]], 1)).chunk(2, 1)
        return mu, logvar.clamp(-12.0, 8.0)

    def encode(self, ids: Tensor) -> Tensor:
        """ids ``(n, L)`` -> posterior mean ``(n, latent_dim)``."""
        return self.posterior(ids)[0]

    def _h0(self, z: Tensor) -> Tensor:
        h = torch.tanh(self.to_hidden(z))
        return h.view(len(z), self.config.n_layers, -1).transpose(0, 1).contiguous()

    def decode_logits(self, z: Tensor, ids: Tensor) -> Tensor:
        """Teacher forcing: z ``(n, d)``, target ids ``(n, L)`` -> logits ``(n, L, vocab)``."""
        inputs = torch.cat([torch.full_like(ids[:, :1], BOS), ids[:, :-1]], 1)
        if self.training and self.config.word_dropout > 0:
            hide = torch.rand(inputs.shape, device=ids.device) < self.config.word_dropout
            inputs = inputs.masked_fill(hide & (inputs > EOS), UNK)
        steps = torch.cat([self.embed(inputs), z[:, None].expand(-1, ids.shape[1], -1)], 2)
        out, _ = self.decoder(steps, self._h0(z))
        return self.to_logits(out)

    @torch.no_grad()
    def decode(self, z: Tensor) -> Tensor:
        """Greedy decoding: z ``(n, latent_dim)`` -> ids ``(n, max_len + 1)`` (pad after eos)."""
        n, steps = len(z), self.config.max_len + 1
        h = self._h0(z)
        token = torch.full((n, 1), BOS, dtype=torch.long, device=z.device)
        out = torch.full((n, steps), PAD, dtype=torch.long, device=z.device)
        done = torch.zeros(n, dtype=torch.bool, device=z.device)
        banned = torch.tensor([PAD, BOS, UNK], device=z.device)
        for t in range(steps):
            o, h = self.decoder(torch.cat([self.embed(token), z[:, None]], 2), h)
            token = self.to_logits(o).index_fill(-1, banned, -math.inf).argmax(-1)
            out[:, t] = token[:, 0].masked_fill(done, PAD)
            done |= token[:, 0] == EOS
            if bool(done.all()):
                break
        return out

    @torch.no_grad()
    def encode_smiles(self, smiles: Sequence[str], batch_size: int = 512) -> np.ndarray:
        """SMILES -> posterior means ``(n, latent_dim)`` float32."""
        return self.posterior_smiles(smiles, batch_size)[0]

    @torch.no_grad()
    def posterior_smiles(
        self, smiles: Sequence[str], batch_size: int = 512
    ) -> tuple[np.ndarray, np.ndarray]:
        """SMILES -> the posterior's (means, standard deviations), each ``(n, latent_dim)``
        float32."""
        self.eval()
        means, stds = [np.zeros((0, self.latent_dim), np.float32)], []
        for i in range(0, len(smiles), batch_size):
            ids = self.vocab.encode(smiles[i : i + batch_size]).to(module_device(self))
            mu, logvar = self.posterior(ids)
            means.append(mu.cpu().numpy())
            stds.append((0.5 * logvar).exp().cpu().numpy())
        mean = np.concatenate(means)
        return mean, np.concatenate(stds) if stds else np.zeros_like(mean)

    @torch.no_grad()
    def decode_latents(self, z: np.ndarray | Tensor, batch_size: int = 512) -> list[str]:
        """z ``(n, latent_dim)`` -> greedy SMILES (may be invalid with ``"smiles"`` tokens)."""
        self.eval()
        z = torch.as_tensor(np.asarray(z, dtype=np.float32)).to(module_device(self))
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z has shape {tuple(z.shape)}, expected (n, {self.latent_dim})")
        out: list[str] = []
        for i in range(0, len(z), batch_size):
            out += self.vocab.decode(self.decode(z[i : i + batch_size]).cpu())
        return out

    def sample_prior(self, n: int, seed: int = 0) -> list[str]:
        """Decode ``n`` latents drawn from N(0, I) with a seeded generator."""
        z = torch.randn(n, self.latent_dim, generator=torch.Generator().manual_seed(seed))
        return self.decode_latents(z)

    def save(self, path: str | Path) -> None:
        """Write weights, config and vocabulary to ``path`` (atomic)."""
        state = {k: v.cpu() for k, v in self.state_dict().items()}
        save_checkpoint(
            path,
            FORMAT,
            FORMAT_VERSION,
            config=asdict(self.config),
            vocab=self.vocab.tokens,
            state_dict=state,
        )

    @classmethod
    def load(cls, path: str | Path, device: torch.device | str = "cpu") -> CharVAE:
        """Read a model written by :meth:`save`, in eval mode on ``device``."""
        state = load_checkpoint(path, FORMAT, FORMAT_VERSION, "CharVAE")
        cfg = CharVAEConfig(**state["config"])
        model = cls(Vocabulary(state["vocab"], cfg.representation), cfg)
        model.load_state_dict(state["state_dict"])
        return model.to(device).eval()


# --------------------------------------------------------------------------- training
class CharVAELoss:
    """Negative ELBO per molecule: token cross-entropy (summed) + beta * KL.

    While training, the KL weight grows linearly from ``start`` (a fraction of beta, 0 by
    default) to beta over ``anneal_steps`` optimizer steps (counted here); in eval mode
    (validation, early stopping) the full beta is used so epochs compare.
    """

    def __init__(self, anneal_steps: int = 0, start: float = 0.0) -> None:
        if not 0.0 <= start <= 1.0:
            raise ValueError(f"KL anneal start must be a fraction of beta in [0, 1], got {start}")
        self.anneal_steps, self.step, self.start = anneal_steps, 0, float(start)

    def __call__(self, model: CharVAE, batch: tuple[Tensor, ...]) -> dict[str, Tensor]:
        ids = batch[0]
        ids = ids[:, : int((ids != PAD).sum(1).max())]  # trim shared padding
        mu, logvar = model.posterior(ids)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        logits = model.decode_logits(z, ids)
        mask = ids != PAD
        ce = F.cross_entropy(logits.transpose(1, 2), ids, reduction="none")
        recon = (ce * mask).sum(1).mean()
        kl = kl_per_dim(mu, logvar).sum(1).mean()
        weight = 1.0
        if model.training:
            self.step += 1
            ramp = min(1.0, self.step / self.anneal_steps) if self.anneal_steps else 1.0
            weight = self.start + (1.0 - self.start) * ramp
        correct = (logits.argmax(-1) == ids) & mask
        return {
            "loss": recon + model.config.beta * weight * kl,
            "recon": recon,
            "kl": kl,
            "token_acc": correct.sum() / mask.sum(),
        }


def fit_charvae(
    smiles: Sequence[str],
    cfg: TrainConfig,
    model_kwargs: dict | None = None,
    device: torch.device | str = "cpu",
    *,
    val_smiles: Sequence[str] | None = None,
    kl_anneal_epochs: float = 1.0,
    history: History | None = None,
) -> tuple[CharVAE, History]:
    """Train a :class:`CharVAE` on SMILES with :func:`plugen.train.train`.

    model_kwargs: :class:`CharVAEConfig` fields; ``max_len`` defaults to the longest training
    sequence. The vocabulary is built from ``smiles`` (+ ``val_smiles``: the early-stopping
    set, else a ``cfg.val_fraction`` split). Returns the model (eval mode) and its history.
    """
    kwargs = dict(model_kwargs or {})
    vocab = Vocabulary.build(
        list(smiles) + list(val_smiles or []), kwargs.get("representation", "smiles")
    )
    ids = vocab.encode(smiles)
    val = None if val_smiles is None else vocab.encode(val_smiles)
    return fit_charvae_ids(
        vocab, ids, val, cfg, kwargs, device, kl_anneal_epochs=kl_anneal_epochs, history=history
    )


def fit_charvae_ids(
    vocab: Vocabulary,
    ids: Tensor,
    val_ids: Tensor | None,
    cfg: TrainConfig,
    model_kwargs: dict | None = None,
    device: torch.device | str = "cpu",
    *,
    kl_anneal_epochs: float = 1.0,
    kl_anneal_from: float = 0.0,
    init: str | Path | None = None,
    history: History | None = None,
) -> tuple[CharVAE, History]:
    """:func:`fit_charvae` on token ids ``(n, L)`` already encoded with ``vocab``.

    The KL weight anneals from ``kl_anneal_from`` (in beta units) to the model's beta over
    ``kl_anneal_epochs`` epochs of ``cfg.epoch_examples`` (or all training) examples.
    ``val_ids`` None: a ``cfg.val_fraction`` split of ``ids``. ``init``: a CharVAE file whose
    weights start the training (a warm start); its vocabulary and architecture must be these.
    """
    kwargs = dict(model_kwargs or {})
    kwargs.setdefault("representation", vocab.representation)
    kwargs.setdefault("max_len", ids.shape[1] - 1)
    seed_everything(cfg.seed)  # the initial weights depend on the seed too
    model = CharVAE(vocab, CharVAEConfig(**kwargs))
    if init is not None:
        _warm_start(model, init)
    beta = model.config.beta
    if not 0.0 <= kl_anneal_from <= beta:
        raise ValueError(f"kl_anneal_from: {kl_anneal_from} must lie in [0, beta = {beta}]")
    n_train = (
        len(ids) if val_ids is not None else len(ids) - int(round(len(ids) * cfg.val_fraction))
    )
    n_train = min(n_train, cfg.epoch_examples or n_train)
    steps = math.ceil(kl_anneal_epochs * math.ceil(n_train / cfg.batch_size))
    log.info("CharVAE: %d tokens in vocabulary, max_len %d", len(vocab), model.config.max_len)
    history = train(
        model,
        CharVAELoss(steps, kl_anneal_from / beta if beta else 0.0),
        [ids],
        cfg,
        val_data=None if val_ids is None else [val_ids],
        device=device,
        history=history if history is not None else History("charvae", log),
    )
    return model, history


def _warm_start(model: CharVAE, init: str | Path) -> None:
    """Copy the weights of the CharVAE file ``init`` into ``model``; ValueError naming the file
    when its vocabulary or architecture differ."""
    other = CharVAE.load(init)
    if other.vocab.tokens != model.vocab.tokens:
        raise ValueError(f"{init}: its vocabulary differs from the training corpus's")
    mine = {k: v for k, v in asdict(model.config).items() if k not in ("beta", "word_dropout")}
    theirs = {k: v for k, v in asdict(other.config).items() if k in mine}
    if mine != theirs:
        diff = sorted(k for k in mine if mine[k] != theirs.get(k))
        raise ValueError(f"{init}: architecture differs from the recipe's in {diff}")
    model.load_state_dict(other.state_dict())
    log.info("CharVAE: warm start from %s", init)


# --------------------------------------------------------------------------- evaluation
def reconstruction_accuracy(model: CharVAE, smiles: Sequence[str]) -> float:
    """Fraction of molecules decoded from their posterior mean back to the same molecule.

    Compared as canonical SMILES (plain string match where either side does not parse).
    """
    if not smiles:
        return float("nan")
    decoded = model.decode_latents(model.encode_smiles(smiles))
    same = [
        (canonical_smiles(a) or a) == (canonical_smiles(b) or b) for a, b in zip(smiles, decoded)
    ]
    return float(np.mean(same))


def charvae_report(
    model: CharVAE, heldout_smiles: Sequence[str], n_prior: int = 1000, seed: int = 0
) -> dict[str, float]:
    """Held-out reconstruction accuracy and validity/uniqueness of N(0, I) prior samples."""
    samples = model.sample_prior(n_prior, seed)
    return {
        "reconstruction_accuracy": reconstruction_accuracy(model, heldout_smiles),
        "prior_validity": validity(samples),
        "prior_uniqueness": uniqueness(samples),
    }
