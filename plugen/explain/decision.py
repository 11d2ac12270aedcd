"""The black box being explained: a decision model ``f`` read through a decoder.

:class:`Decision` maps backbone latents ``(n, d)`` to one logit per input (> 0: accepted),
either directly (a model on latents) or through a decoder (a model on images). Only forward
calls are needed; :meth:`Decision.logits` keeps the autograd graph for the searches that use
gradients when the modules are differentiable (torch modules and TorchScript files are).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import Tensor

from plugen.backbones.torchscript import call_module

Module = Callable[[Tensor], Tensor]


def check_logits(out: object, n: int, where: str = "decision model") -> Tensor:
    """The model output ``out`` as logits ``(n,)``: accepts ``(n,)`` or ``(n, 1)``.

    Raises ValueError (one line naming ``where``) for anything else: not a tensor, another
    shape (e.g. ``(n, 3)``: one output per class is not one logit per input), NaN or infinite
    values.
    """
    if not isinstance(out, Tensor):
        raise ValueError(f"{where}: returned a {type(out).__name__}, expected a tensor of logits")
    if out.ndim == 2 and out.shape[1] == 1:
        out = out[:, 0]
    if out.ndim != 1 or out.shape[0] != n:
        raise ValueError(
            f"{where}: output has shape {tuple(out.shape)} for {n} inputs, "
            f"expected one logit per input, ({n},) or ({n}, 1)"
        )
    if not torch.isfinite(out).all():
        raise ValueError(f"{where}: output contains NaN or infinite logits")
    return out.float()


class Decision:
    """``f``: latents ``(n, d)`` -> logits ``(n,)``, as ``model(decode(z))`` or ``model(z)``.

    model: a module (or TorchScript module) images ``(n, C, H, W)`` -> logits, or latents ->
    logits when ``decode`` is None; decode: latents ``(n, d)`` -> images ``(n, C, H, W)`` in
    ``image_range`` (what the model reads); batch_size: inputs per forward call; name: the
    model's file, for errors.
    """

    def __init__(
        self,
        model: Module,
        decode: Module | None = None,
        image_range: Sequence[float] = (0.0, 1.0),
        batch_size: int = 512,
        device: str | torch.device = "cpu",
        name: str = "decision model",
    ) -> None:
        self.model, self.decode = model, decode
        self.image_range = (float(image_range[0]), float(image_range[1]))
        if not self.image_range[1] > self.image_range[0]:
            raise ValueError(f"image_range must be (low, high) with high > low, got {image_range}")
        self.batch_size = int(batch_size)
        self.device = torch.device(device)
        self.name = name

    def logits(self, z: Tensor) -> Tensor:
        """Logits ``(n,)`` of latents ``z: (n, d)`` in one call, with the autograd graph.

        Raises ``ValueError`` naming the model's file and the input shape when the model call
        fails (e.g. an image model given latents), and as :func:`check_logits`."""
        x = self.decode(z) if self.decode is not None else z
        out = call_module(self.model, x, self.name, "decision model")
        return check_logits(out, len(z), self.name)

    @torch.no_grad()
    def __call__(self, z: Tensor | np.ndarray) -> Tensor:
        """Logits ``(n,)`` (CPU) of latents ``(n, d)``, in batches, without gradients."""
        z = torch.as_tensor(np.asarray(z, dtype=np.float32) if not isinstance(z, Tensor) else z)
        parts = [torch.zeros(0)]
        for i in range(0, len(z), self.batch_size):
            parts.append(self.logits(z[i : i + self.batch_size].to(self.device)).cpu())
        return torch.cat(parts)

    @torch.no_grad()
    def images(self, z: Tensor | np.ndarray) -> np.ndarray:
        """uint8 images ``(n, H, W, 3)`` of latents ``(n, d)`` (needs a decoder)."""
        if self.decode is None:
            raise ValueError(f"{self.name}: no decoder, so latents have no images")
        z = torch.as_tensor(np.asarray(z, dtype=np.float32))
        lo, hi = self.image_range
        parts = []
        for i in range(0, len(z), self.batch_size):
            x = self.decode(z[i : i + self.batch_size].to(self.device)).float()
            x = ((x - lo) / (hi - lo)).clamp(0, 1).expand(-1, 3, -1, -1)
            parts.append((x * 255).round().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy())
        return np.concatenate(parts) if parts else np.zeros((0, 0, 0, 3), np.uint8)

    def differentiable(self, z: Tensor) -> bool:
        """Whether gradients of the logits reach the latents ``z (n, d)`` (tried on one row)."""
        x = z[:1].detach().clone().to(self.device).requires_grad_(True)
        try:
            with torch.enable_grad():
                out = self.logits(x)
                if not out.requires_grad:
                    return False
                (grad,) = torch.autograd.grad(out.sum(), x, allow_unused=True)
        except (RuntimeError, ValueError):  # e.g. an in-place op on an input that needs grad
            return False
        return grad is not None
