"""A user's own encoder, decoder and judge (attribute classifier), saved as TorchScript files.

The encoder maps images ``(n, 3, H, W)`` to latents ``(n, d)`` (or a tuple whose first item is
the posterior mean); the decoder maps latents ``(n, d)`` (or W+ ``(n, L, d)``) to images
``(n, C, H, W)`` with C in {1, 3}; the judge maps images ``(n, 3, H, W)`` to one output per
attribute (a logit for binary attributes, the value for continuous ones). All work on pixel
values in ``image_range``. A point-cloud decoder maps latents to clouds ``(n, P, 3)`` instead
(:class:`ScriptedCloudDecoder`), and its judge reads those clouds. Save a model with
``torch.jit.save(torch.jit.script(model), path)`` (or ``torch.jit.trace``).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from plugen.backbones.image_vae import map_image_batches, tensor_to_images
from plugen.data.user import broadcast_w_plus
from plugen.nn import map_batches
from plugen.runtime import is_import_path

log = logging.getLogger(__name__)

# torch.jit is deprecated in favour of torch.export, but TorchScript files are what users have
_JIT_DEPRECATION = r"`torch\.jit\.\w+` is deprecated"


def load_torchscript(
    path: str | Path, what: str, device: str | torch.device = "cpu"
) -> torch.jit.ScriptModule:
    """Load the TorchScript module at ``path`` onto ``device``, in eval mode.

    ``path`` may also be an import path ``package.module:loader`` whose ``loader()`` returns a
    ``torch.nn.Module`` (a generator that is not TorchScript). ``what`` names its role in errors
    ("decoder", "judge"). Raises ``FileNotFoundError`` for a missing file and ``ValueError`` for
    a file that is not TorchScript or a loader that does not return a module.
    """
    if is_import_path(str(path)):
        return _load_import_path(str(path), what, device)
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such {what} file")
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", _JIT_DEPRECATION, DeprecationWarning)
            module = torch.jit.load(str(path), map_location=torch.device(device))
    except (RuntimeError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else type(exc).__name__
        raise ValueError(
            f"{path}: not a TorchScript {what} ({reason}); "
            "save it with torch.jit.save(torch.jit.script(model), path)"
        ) from None
    return module.eval()


def _load_import_path(spec: str, what: str, device: str | torch.device) -> torch.nn.Module:
    import importlib

    module, _, name = spec.partition(":")
    try:
        loader = getattr(importlib.import_module(module), name)
    except Exception as exc:  # noqa: BLE001 - importing the user's module may raise anything
        raise ValueError(f"{spec}: cannot import the {what} loader ({exc})") from None
    try:
        model = loader()
    except Exception as exc:  # noqa: BLE001 - the user's loader: any failure is theirs
        raise ValueError(
            f"{spec}: the {what} loader failed ({type(exc).__name__}: {exc})"
        ) from None
    if not isinstance(model, torch.nn.Module):
        raise ValueError(
            f"{spec}: the {what} loader returned a {type(model).__name__}, "
            "expected a torch.nn.Module"
        )
    return model.to(device).eval()


def call_module(
    module: Callable[[Tensor], object], x: Tensor, path: str | Path, what: str, first: bool = False
) -> Tensor:
    """``module(x)`` for a TorchScript (or torch) module read from ``path``; ``what`` names its
    role ("decoder", "decision model"). ``first``: of a tuple output keep the first item.

    Raises ``ValueError`` (one line naming ``path``, the shape of ``x`` and the last line of
    the module's error) when the call fails with a ``RuntimeError`` (TorchScript errors are),
    or when the output is not a tensor.
    """
    try:
        out = module(x)
    except RuntimeError as exc:
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
        reason = lines[-1] if lines else type(exc).__name__
        raise ValueError(
            f"{path}: the {what} failed on input of shape {tuple(x.shape)}: {reason}"
        ) from None
    if first and isinstance(out, (tuple, list)) and out:
        out = out[0]
    if not isinstance(out, Tensor):
        raise ValueError(f"{path}: the {what} returned a {type(out).__name__}, expected a tensor")
    return out


def _to_range(x: Tensor, image_range: tuple[float, float]) -> Tensor:
    """Pixels ``x`` on the [0, 1] scale mapped linearly onto ``image_range``."""
    lo, hi = image_range
    return x * (hi - lo) + lo


def _check_range(image_range: Sequence[float]) -> tuple[float, float]:
    lo, hi = (float(v) for v in image_range)
    if not hi > lo:
        raise ValueError(f"image_range must be (low, high) with high > low, got {image_range}")
    return lo, hi


class _ScriptedGenerator:
    """What the image and point-cloud decoders share: the module, W+ broadcasting, batching."""

    def __init__(
        self,
        path: str | Path,
        device: str | torch.device = "cpu",
        layers: int | None = None,
        batch_size: int = 256,
    ) -> None:
        self.path = Path(path)
        self.device = torch.device(device)
        self.layers = layers
        self.batch_size = int(batch_size)
        self.module = load_torchscript(self.path, "decoder", self.device)

    def _raw(self, z: np.ndarray) -> Tensor:
        """The decoder's output, unchecked, for latents ``(n, d)``."""
        if self.layers is not None:
            z = broadcast_w_plus(z, self.layers)
        return call_module(self.module, torch.from_numpy(z).to(self.device), self.path, "decoder")

    def _decode(self, z: np.ndarray) -> Tensor:
        """The decoder's output (checked by ``_check_output``) for latents ``(n, d)``."""
        out = self._raw(z)
        self._check_output(out, len(z))
        return out

    def _check_output(self, out: Tensor, n: int) -> None:
        raise NotImplementedError

    def _decoded_batches(self, z: np.ndarray, convert: Callable[[Tensor], np.ndarray]) -> list:
        """``convert`` of the checked output of each batch of latents ``(n, d)``; a ValueError
        for latents of another rank."""
        z = np.asarray(z, dtype=np.float32)
        if z.ndim != 2:
            raise ValueError(f"{self.path}: latents have shape {z.shape}, expected (n, d)")
        return [
            convert(self._decode(z[start : start + self.batch_size]))
            for start in range(0, len(z), self.batch_size)
        ]


class ScriptedCloudDecoder(_ScriptedGenerator):
    """Callable ``z (n, d) float32 -> float32 point clouds (n, P, 3)`` through a TorchScript
    decoder whose output is ``(n, P, 3)``. layers: as :class:`ScriptedDecoder`. Raises
    ``FileNotFoundError`` / ``ValueError`` (see :func:`load_torchscript`)."""

    def _check_output(self, out: Tensor, n: int) -> None:
        if out.ndim != 3 or out.shape[0] != n or out.shape[2] != 3 or out.shape[1] == 0:
            raise ValueError(
                f"{self.path}: output has shape {tuple(out.shape)}, expected ({n}, P, 3) "
                "point clouds"
            )
        if not torch.isfinite(out).all():
            raise ValueError(f"{self.path}: output contains NaN or infinite coordinates")

    @torch.no_grad()
    def __call__(self, z: np.ndarray) -> np.ndarray:
        """Latents ``(n, d)`` -> clouds ``(n, P, 3)``; ``ValueError`` on a bad shape of ``z``
        or of the decoder's output, or when the decoder fails."""
        parts = self._decoded_batches(z, lambda out: out.float().cpu().numpy())
        return np.concatenate(parts) if parts else np.zeros((0, 0, 3), np.float32)

    def check(self, latent_dim: int) -> np.ndarray:
        """Decode one zero latent of width ``latent_dim`` so a bad decoder fails early; returns
        its cloud ``(1, P, 3)``."""
        return self(np.zeros((1, latent_dim), dtype=np.float32))


def probe_decoder(
    path: str | Path, latent_dim: int, layers: int | None = None, device="cpu"
) -> tuple[str, int]:
    """What a TorchScript decoder returns for one zero latent of width ``latent_dim``:
    ``("cloud", 0)`` for ``(1, P, 3)``, ``("image", C)`` for ``(1, C, H, W)`` with C in {1, 3},
    else ``("image", 3)`` (:class:`ScriptedDecoder`'s check says what is wrong). Raises
    ``FileNotFoundError`` / ``ValueError`` when it cannot be loaded or run."""
    with torch.no_grad():
        out = _ScriptedGenerator(path, device, layers)._raw(np.zeros((1, latent_dim), np.float32))
    if out.ndim == 3 and out.shape[-1] == 3:
        return "cloud", 0
    return "image", int(out.shape[1]) if out.ndim == 4 and out.shape[1] in (1, 3) else 3


def decoder_output(
    path: str | Path, latent_dim: int, layers: int | None = None, device="cpu"
) -> str:
    """``"cloud"`` or ``"image"``: the kind of :func:`probe_decoder`."""
    return probe_decoder(path, latent_dim, layers, device)[0]


class ScriptedDecoder(_ScriptedGenerator):
    """Callable ``z (n, d) float32 -> uint8 images (n, H, W, 3)`` through a TorchScript decoder.

    layers: when set, latents go in as W+ ``(n, layers, d)`` (the same latent at every layer);
    image_range: the decoder's pixel range, mapped to 0..255 (values outside are clipped);
    grey ``(n, 1, H, W)`` output becomes 3 equal channels. Raises ``FileNotFoundError`` /
    ``ValueError`` (see :func:`load_torchscript`).
    """

    def __init__(
        self,
        path: str | Path,
        device: str | torch.device = "cpu",
        layers: int | None = None,
        image_range: Sequence[float] = (0.0, 1.0),
        batch_size: int = 256,
    ) -> None:
        self.image_range = _check_range(image_range)
        super().__init__(path, device, layers, batch_size)
        self.channels: int | None = None  # the decoder's own channel count, once it has run

    def _check_output(self, out: Tensor, n: int) -> None:
        if out.ndim != 4 or out.shape[0] != n or out.shape[1] not in (1, 3):
            raise ValueError(
                f"{self.path}: output has shape {tuple(out.shape)}, expected ({n}, C, H, W) "
                "images with C = 1 or 3"
            )
        if not torch.isfinite(out).all():
            raise ValueError(f"{self.path}: output contains NaN or infinite pixel values")
        self.channels = int(out.shape[1])

    def _images(self, out: Tensor) -> np.ndarray:
        lo, hi = self.image_range
        return tensor_to_images(((out.float() - lo) / (hi - lo)).expand(-1, 3, -1, -1))

    def differentiable(self, z: Tensor) -> Tensor:
        """Latents ``(n, d)`` -> images ``(n, 3, H, W)`` on the [0, 1] scale (not clipped),
        with gradients, for latent searches (:mod:`plugen.inverse`); ValueError as
        :meth:`__call__`."""
        if z.ndim != 2:
            raise ValueError(f"{self.path}: latents have shape {tuple(z.shape)}, expected (n, d)")
        if self.layers is not None:
            z = z[:, None, :].expand(-1, self.layers, -1)
        out = call_module(self.module, z.to(self.device), self.path, "decoder")
        self._check_output(out.detach(), len(z))
        lo, hi = self.image_range
        return ((out.float() - lo) / (hi - lo)).expand(-1, 3, -1, -1)

    @torch.no_grad()
    def __call__(self, z: np.ndarray) -> np.ndarray:
        """Latents ``(n, d)`` -> uint8 images ``(n, H, W, 3)``; ``ValueError`` on a bad shape
        of ``z`` or of the decoder's output, or when the decoder fails."""
        parts = self._decoded_batches(z, self._images)
        if not parts:
            return np.zeros((0, 0, 0, 3), dtype=np.uint8)
        return np.concatenate(parts)

    @torch.no_grad()
    def check(self, latent_dim: int) -> np.ndarray:
        """Decode one zero latent of width ``latent_dim`` so a bad decoder fails early; returns
        its image ``(1, H, W, 3)``. Raises ``ValueError`` as :meth:`__call__`; logs a warning
        when most of its pixels fall outside ``image_range`` (e.g. a 0..255 decoder read as
        0..1, whose images would be all white)."""
        out = self._decode(np.zeros((1, latent_dim), dtype=np.float32)).float()
        lo, hi = self.image_range
        slack = 1e-3 * (hi - lo)
        outside = float(((out < lo - slack) | (out > hi + slack)).float().mean())
        if outside > 0.5:
            log.warning(
                "%s: %.0f%% of the pixels the decoder gives a zero latent fall outside the image "
                "range [%g, %g] (they span %.4g to %.4g); set --image-range (plugen) or "
                "image_range (workflow) to the decoder's output range",
                self.path,
                100 * outside,
                lo,
                hi,
                float(out.min()),
                float(out.max()),
            )
        return self._images(out)


class ScriptedEncoder:
    """Callable ``uint8 images (n, H, W, 3) -> float32 latents (n, d)`` through a TorchScript
    encoder that reads pixels in ``image_range``; of a tuple output the first item (the mean) is
    kept. Raises ``FileNotFoundError`` / ``ValueError`` (see :func:`load_torchscript`)."""

    def __init__(
        self,
        path: str | Path,
        device: str | torch.device = "cpu",
        image_range: Sequence[float] = (0.0, 1.0),
        batch_size: int = 256,
    ) -> None:
        self.path = Path(path)
        self.device = torch.device(device)
        self.image_range = _check_range(image_range)
        self.batch_size = int(batch_size)
        self.module = load_torchscript(self.path, "encoder", self.device)

    def _encode(self, x: Tensor) -> Tensor:
        x = _to_range(x, self.image_range)
        return call_module(self.module, x, self.path, "encoder", first=True)

    @torch.no_grad()
    def __call__(self, images: np.ndarray) -> np.ndarray:
        """uint8 images ``(n, H, W, 3)`` -> latents ``(n, d)``, flattened per image."""
        z = map_image_batches(self._encode, images, self.batch_size, self.device)
        return z.reshape(len(images), -1)


class ScriptedJudge:
    """Callable ``uint8 images (n, H, W, 3) -> DataFrame`` of ``pred_<attr>`` float32 columns,
    through a TorchScript classifier with one output per name in ``outputs``.

    kinds: attribute -> "binary" (output is a logit; the column holds its sigmoid) or
    "continuous" (the raw output); image_range: the pixel range the judge expects (0..255 is
    mapped onto it); channels: 3, or 1 for a grey judge (it gets ``(n, 1, H, W)``, the first of
    the stored images' 3 equal channels); reads: ``"images"``, or ``"clouds"`` for the judge of
    a point-cloud decoder (it gets float clouds ``(n, P, 3)`` as they were decoded). Raises
    ``FileNotFoundError`` / ``ValueError`` (see :func:`load_torchscript`; also for outputs
    without a kind).
    """

    def __init__(
        self,
        path: str | Path,
        outputs: Sequence[str],
        kinds: Mapping[str, str],
        device: str | torch.device = "cpu",
        image_range: Sequence[float] = (0.0, 1.0),
        batch_size: int = 256,
        channels: int = 3,
        reads: str = "images",
    ) -> None:
        if channels not in (1, 3):
            raise ValueError(f"{path}: a judge reads 1 or 3 image channels, got {channels}")
        if reads not in ("images", "clouds"):
            raise ValueError(f"{path}: a judge reads 'images' or 'clouds', got {reads!r}")
        self.channels, self.reads = channels, reads
        self.path = Path(path)
        self.outputs = list(outputs)
        if not self.outputs:
            raise ValueError(f"{self.path}: the judge needs at least one output name")
        missing = [a for a in self.outputs if a not in kinds]
        if missing:
            raise ValueError(f"{self.path}: no kind given for judge output(s) {missing}")
        bad = {a: kinds[a] for a in self.outputs if kinds[a] not in ("binary", "continuous")}
        if bad:
            raise ValueError(f"{self.path}: kinds must be 'binary' or 'continuous', got {bad}")
        self.binary = torch.tensor([kinds[a] == "binary" for a in self.outputs])
        self.device = torch.device(device)
        self.image_range = _check_range(image_range)
        self.batch_size = int(batch_size)
        self.module = load_torchscript(self.path, "judge", self.device)

    def _predictions(self, out: Tensor, n: int) -> Tensor:
        k = len(self.outputs)
        if out.ndim == 1 and k == 1:
            out = out[:, None]
        if out.ndim != 2 or out.shape[0] != n:
            raise ValueError(
                f"{self.path}: output has shape {tuple(out.shape)}, expected ({n}, {k})"
            )
        if out.shape[1] != k:
            raise ValueError(
                f"{self.path}: output has width {out.shape[1]}, "
                f"classifier_outputs names {k} attributes"
            )
        out = out.float().cpu()
        return torch.where(self.binary, torch.sigmoid(out), out)

    @torch.no_grad()
    def __call__(self, images: np.ndarray) -> pd.DataFrame:
        """uint8 images ``(n, H, W, 3)`` (or clouds ``(n, P, 3)``, see ``reads``) ->
        ``pred_<attr>`` columns ``(n,)`` in ``outputs`` order; ``ValueError`` on bad input, a
        bad output shape, or when the judge fails."""
        if self.reads == "clouds":
            return self._frame(self._cloud_predictions(images))
        images = np.asarray(images)
        if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] != 3:
            raise ValueError(
                f"{self.path}: images must be uint8 (n, H, W, 3), got {images.dtype} {images.shape}"
            )

        def predict(x: Tensor) -> Tensor:
            x = x[:, : self.channels]  # grey: the first of the 3 equal channels
            out = call_module(self.module, _to_range(x, self.image_range), self.path, "judge")
            return self._predictions(out, len(x))

        preds = map_image_batches(predict, images, self.batch_size, self.device)
        return self._frame(preds.reshape(len(images), len(self.outputs)))

    def _cloud_predictions(self, clouds: np.ndarray) -> np.ndarray:
        clouds = np.asarray(clouds)
        if (
            clouds.ndim != 3
            or clouds.shape[-1] != 3
            or not np.issubdtype(clouds.dtype, np.floating)
        ):
            raise ValueError(
                f"{self.path}: clouds must be float (n, P, 3), got {clouds.dtype} {clouds.shape}"
            )

        def predict(x: Tensor) -> Tensor:
            return self._predictions(call_module(self.module, x, self.path, "judge"), len(x))

        preds = map_batches(predict, clouds.astype(np.float32), self.batch_size, self.device)
        return preds.reshape(len(clouds), len(self.outputs))

    def _frame(self, preds: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame({f"pred_{a}": preds[:, j] for j, a in enumerate(self.outputs)})

    def check(self, images: np.ndarray) -> pd.DataFrame:
        """Run the judge on the first two of ``images`` so a bad judge fails early; returns
        their predictions. Raises ``ValueError`` as :meth:`__call__`."""
        return self(np.asarray(images)[:2])
