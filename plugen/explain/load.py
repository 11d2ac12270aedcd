"""Differentiable decoders and decision models from their files, for :class:`Decision`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from plugen.explain.decision import Module

DECISION_KINDS = ("rule", "torchscript")


def tensor_decoder(
    decoder: Mapping[str, Any], device: str | torch.device = "cpu"
) -> tuple[Module, tuple[float, float]]:
    """(latents ``(n, d)`` -> images ``(n, C, H, W)`` tensor function keeping gradients, its
    pixel range) for a decoder described as in :class:`plugen.experiments.Decoder` (``vae``,
    ``gan`` or ``torchscript``; W+ ``layers`` broadcast the latent to every layer). Raises
    FileNotFoundError / ValueError naming the file."""
    kind, path = decoder["kind"], decoder["path"]
    if kind == "vae":
        from plugen.backbones.image_vae import ImageVAE

        return ImageVAE.load(path, device).eval().decode, (0.0, 1.0)
    if kind == "gan":
        from plugen.backbones.dcgan import DCGAN

        return DCGAN.load(path, device).decode, (0.0, 1.0)
    if kind == "torchscript":
        from plugen.backbones.torchscript import load_torchscript

        module = load_torchscript(path, "decoder", device)
        layers = decoder.get("layers")
        lo, hi = (float(v) for v in decoder.get("image_range", (0.0, 1.0)))
        if layers:
            return (lambda z: module(z[:, None].expand(-1, layers, -1))), (lo, hi)
        return module, (lo, hi)
    raise ValueError(f"decoder: kind must be 'vae', 'gan' or 'torchscript', got {kind!r}")


def load_decision_model(
    model: Mapping[str, Any], device: str | torch.device = "cpu"
) -> torch.nn.Module:
    """The decision model described by ``{"kind": "rule" | "torchscript", "path": ...}``:
    a :class:`plugen.explain.rule.DecisionCNN` checkpoint trained in the DAG, or a user's
    TorchScript module (images or latents -> one logit per input). Raises
    FileNotFoundError / ValueError naming the file."""
    if model["kind"] == "rule":
        from plugen.explain.cnn import DecisionCNN

        return DecisionCNN.load(model["path"], device)
    if model["kind"] == "torchscript":
        from plugen.backbones.torchscript import load_torchscript

        return load_torchscript(model["path"], "decision model", device)
    raise ValueError(f"decision model: kind must be one of {DECISION_KINDS}, got {model['kind']!r}")
