"""Load the published JT-VAE ZINC weights out of the pinned ``jtnnencoder`` wheel.

The wheel (PyPI ``jtnnencoder==0.1``, MIT) bundles the original checkpoint of Jin, Barzilay &
Jaakkola (ICML 2018, https://github.com/wengong-jin/icml18-jtnn) and its 780-cluster ZINC
vocabulary; ``jtvae_wheel.json`` beside this module pins the wheel's, the checkpoint's and the
vocabulary's sha256. Only those two members are read (the checkpoint with
``torch.load(weights_only=True)``); the wheel's code is never imported.
"""

from __future__ import annotations

import io
import json
from importlib.resources import files
from pathlib import Path

import torch

from plugen.wheels import load_wheel_meta, read_member, read_pinned_member
from plugen.wheels import resolve_wheel as resolve_pinned

WHEEL_META = files(__package__) / "jtvae_wheel.json"
HIDDEN, LATENT, DEPTH = 450, 56, 3

# checkpoint name prefix -> module name prefix in JTVAE (the embedding is shared three ways)
_PREFIXES = {
    "embedding.": "embedding.",
    "jtnn.embedding.": "tree_encoder.embedding.",
    "decoder.embedding.": "tree_decoder.embedding.",
    "jtnn.W_z.": "tree_encoder.gru.W_z.",
    "jtnn.W_r.": "tree_encoder.gru.W_r.",
    "jtnn.U_r.": "tree_encoder.gru.U_r.",
    "jtnn.W_h.": "tree_encoder.gru.W_h.",
    "jtnn.W.": "tree_encoder.W.",
    "mpn.": "graph_encoder.",
    "jtmpn.": "candidate_encoder.",
    "decoder.W_z.": "tree_decoder.gru.W_z.",
    "decoder.W_r.": "tree_decoder.gru.W_r.",
    "decoder.U_r.": "tree_decoder.gru.U_r.",
    "decoder.W_h.": "tree_decoder.gru.W_h.",
    "decoder.W.": "tree_decoder.W.",
    "decoder.U.": "tree_decoder.U.",
    "decoder.W_o.": "tree_decoder.W_o.",
    "decoder.U_s.": "tree_decoder.U_s.",
    "T_mean.": "T_mean.",
    "T_var.": "T_var.",
    "G_mean.": "G_mean.",
    "G_var.": "G_var.",
}
_SHARED = ("embedding.weight", "jtnn.embedding.weight", "decoder.embedding.weight")


def rename_checkpoint(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Checkpoint tensor names -> :class:`JTVAE` parameter names (longest prefix wins).
    Raises ValueError naming tensors no prefix matches."""
    out, unknown = {}, []
    for key, value in state.items():
        match = max((p for p in _PREFIXES if key.startswith(p)), key=len, default=None)
        if match is None:
            unknown.append(key)
        else:
            out[_PREFIXES[match] + key[len(match) :]] = value
    if unknown:
        raise ValueError(f"JT-VAE checkpoint has unknown tensors: {', '.join(unknown)}")
    return out


def load_state_strict(model: torch.nn.Module, state: dict[str, torch.Tensor]) -> None:
    """Copy the original checkpoint ``state`` into ``model``: every tensor must be used and
    every parameter covered, with equal shapes, and the three copies of the shared embedding
    must be equal. Raises one ValueError line listing all mismatches."""
    problems = []
    shared = [state[k] for k in _SHARED if k in state]
    if any(t.shape != shared[0].shape or not torch.equal(t, shared[0]) for t in shared[1:]):
        problems.append("the three copies of the shared embedding differ")
    mapped = rename_checkpoint(state)
    own = model.state_dict()
    for key in sorted(set(own) - set(mapped)):
        problems.append(f"missing {key}")
    for key in sorted(set(mapped) - set(own)):
        problems.append(f"unused {key}")
    for key in sorted(set(own) & set(mapped)):
        if tuple(own[key].shape) != tuple(mapped[key].shape):
            problems.append(f"{key}: {tuple(mapped[key].shape)} != {tuple(own[key].shape)}")
    if problems:
        raise ValueError(f"JT-VAE checkpoint does not fit: {'; '.join(problems)}")
    model.load_state_dict(mapped, strict=True)


def resolve_wheel(where: str | Path | None = None, meta: dict | str | Path | None = None) -> Path:
    """The pinned JT-VAE wheel (:func:`plugen.wheels.resolve_wheel`; ``meta`` defaults to
    :data:`WHEEL_META`)."""
    return resolve_pinned(where, WHEEL_META if meta is None else meta)


def load_vocab(wheel: str | Path, meta: dict | str | Path | None = None):
    """The cluster vocabulary (:class:`~plugen.backbones.jtvae.chem.Vocab`) read out of the
    pinned wheel file ``wheel`` (no torch weights). Raises ValueError (one line) when its sha256
    differs from the pin's ``vocab_sha256``."""
    from plugen.backbones.jtvae.chem import Vocab

    data, label = load_wheel_meta(WHEEL_META if meta is None else meta)
    raw = read_pinned_member(
        wheel, data["vocab"], data["vocab_sha256"], label, "the vocabulary changed"
    )
    return Vocab.from_text(raw.decode())


def load_jtvae(where: str | Path | None = None, meta: dict | str | Path | None = None):
    """The published JT-VAE (hidden 450, latent 56, depth 3) with its ZINC vocabulary, in eval
    mode on the CPU.

    ``where``: the wheel file or a folder holding (or to receive) it. Raises ValueError (one
    line) when the wheel's or the vocabulary's sha256 differs from ``jtvae_wheel.json`` or the
    checkpoint does not fit the networks, RuntimeError when the wheel cannot be downloaded.
    """
    from plugen.backbones.jtvae.model import JTVAE

    meta = WHEEL_META if meta is None else meta
    data, _ = load_wheel_meta(meta)
    wheel = resolve_wheel(where, meta)
    vocab = load_vocab(wheel, meta)
    raw = read_member(wheel, data["checkpoint"])
    state = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
    model = JTVAE(vocab, hidden=HIDDEN, latent=LATENT, depth=DEPTH)
    load_state_strict(model, state)
    model.source = {k: data[k] for k in ("name", "version", "sha256", "license") if k in data}
    return model.eval()


def meta_json() -> dict:
    """The packaged ``jtvae_wheel.json`` as a dict."""
    return json.loads(WHEEL_META.read_text())
