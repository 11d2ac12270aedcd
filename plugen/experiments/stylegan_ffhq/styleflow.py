"""StyleFlow's FFHQ data (the paper's StyleGAN experiment) from the user's own copy.

StyleFlow (Abdal et al. 2021) ships ``data/sg2latents.pickle`` (a dict whose ``"Latent"`` entry is
a list of ``(1, 18, 512)`` W+ arrays, one per image) and ``data/attributes.npy`` (``(N, 8, 1)``,
Microsoft Face API attributes in the order of :data:`ATTRIBUTES`). Face API scales: Gender 0/1
(1 = male), Glasses 0/1 (1 = any glasses), Yaw and Pitch in degrees, Baldness, Beard and
Expression (smile) confidences in [0, 1], Age in years. The authors train on all latents but the
first 500, which they hold out (:func:`split_styleflow`).
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import numpy as np
import pandas as pd

#: Columns of attributes.npy, in order.
ATTRIBUTES = ("Gender", "Glasses", "Yaw", "Pitch", "Baldness", "Beard", "Age", "Expression")

#: binarize's output: binary column -> (attributes.npy column, default threshold). 1 means the
#: second requested value of Table 1 (male, glasses, bald, facial-hair, smile). 0.5 is the middle
#: of the Face API's [0, 1] scale, where the authors' code splits after min-max scaling to [-1, 1].
BINARY = {
    "male": ("Gender", 0.5),
    "glasses": ("Glasses", 0.5),
    "bald": ("Baldness", 0.5),
    "facial_hair": ("Beard", 0.5),
    "smile": ("Expression", 0.5),
}
#: binarize's continuous columns (kept as they are): output name -> attributes.npy column.
CONTINUOUS = {"age": "Age", "yaw": "Yaw", "pitch": "Pitch"}

N_TEST = 500

# what numpy arrays need to be unpickled, and nothing else
_NUMPY_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles plain containers and numpy arrays; refuses every other global."""

    def find_class(self, module: str, name: str):
        if (module, name) in _NUMPY_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refuses global {module}.{name}")


def _check_w(w: np.ndarray, where: str) -> np.ndarray:
    if w.ndim == 3 and w.shape[1:] == (18, 512) or w.ndim == 2 and w.shape[1] == 512:
        if not np.issubdtype(w.dtype, np.floating):
            raise ValueError(f"{where}: latents have dtype {w.dtype}, expected floats")
        return w.astype(np.float32, copy=False)
    raise ValueError(f"{where}: latents have shape {w.shape}, expected (N, 18, 512) or (N, 512)")


def read_latents(path: str | Path) -> np.ndarray:
    """StyleGAN W / W+ latents: float32 ``(N, 18, 512)`` or ``(N, 512)``.

    ``.npy``: an array of either shape. Otherwise a StyleFlow pickle: a dict whose ``"Latent"``
    is a list of ``(1, 18, 512)`` (or ``(18, 512)``) arrays, stacked in order; only containers
    and numpy arrays are unpickled. Raises ``FileNotFoundError`` for a missing file and
    ``ValueError`` naming the file for any other content or shape.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: latent file not found")
    if path.suffix == ".npy":
        try:
            w = np.load(path, allow_pickle=False)
        except (ValueError, OSError, EOFError) as exc:
            raise ValueError(f"{path}: not a plain .npy array ({exc})") from None
        return _check_w(w, str(path))
    try:
        data = _ArrayUnpickler(io.BytesIO(path.read_bytes())).load()
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError) as exc:
        raise ValueError(f"{path}: not a StyleFlow latent pickle ({exc})") from None
    if not isinstance(data, dict) or "Latent" not in data:
        keys = list(data) if isinstance(data, dict) else type(data).__name__
        raise ValueError(f"{path}: expected a dict with a 'Latent' list, got {keys}")
    items = data["Latent"]
    if not isinstance(items, list) or not items:
        raise ValueError(f"{path}: 'Latent' must be a non-empty list of arrays")
    shapes = {getattr(a, "shape", None) for a in items}
    if not all(isinstance(a, np.ndarray) for a in items) or not shapes <= {(1, 18, 512), (18, 512)}:
        raise ValueError(
            f"{path}: 'Latent' entries must be (1, 18, 512) arrays, got {sorted(map(str, shapes))}"
        )
    return _check_w(np.stack([a.reshape(18, 512) for a in items]), str(path))


def read_attributes(path: str | Path) -> pd.DataFrame:
    """StyleFlow's ``attributes.npy`` (``(N, 8, 1)`` or ``(N, 8)``) as float32 columns
    :data:`ATTRIBUTES`. Raises ``FileNotFoundError``/``ValueError`` naming the file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: attribute file not found")
    try:
        a = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise ValueError(f"{path}: not a plain .npy array ({exc})") from None
    shape = a.shape
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim != 2 or a.shape[1] != len(ATTRIBUTES) or not np.issubdtype(a.dtype, np.number):
        raise ValueError(
            f"{path}: has shape {shape} ({a.dtype}), expected numbers of shape (N, 8, 1) "
            f"with columns {list(ATTRIBUTES)}"
        )
    return pd.DataFrame(a.astype(np.float32), columns=list(ATTRIBUTES))


def read_styleflow(
    latents_path: str | Path, attributes_path: str | Path
) -> tuple[np.ndarray, pd.DataFrame]:
    """Latents and attributes of the same images; ``ValueError`` when their counts differ."""
    w, attrs = read_latents(latents_path), read_attributes(attributes_path)
    if len(w) != len(attrs):
        raise ValueError(
            f"{attributes_path}: {len(attrs)} rows, but {latents_path} has {len(w)} latents"
        )
    return w, attrs


def binarize(attrs: pd.DataFrame, thresholds: dict[str, float] | None = None) -> pd.DataFrame:
    """Table 1's labels from StyleFlow attributes: ``(N, 8)`` frame in, ``(N, 8)`` frame out.

    Binary float32 0/1 columns of :data:`BINARY` (1 where the attribute is ``>=`` its threshold;
    NaN stays NaN, an unknown label), then the continuous columns of :data:`CONTINUOUS` as they
    are. thresholds: attributes.npy column -> threshold, overriding the defaults of
    :data:`BINARY`. Raises ``ValueError`` for a missing column or an unknown threshold key.
    """
    given = dict(thresholds or {})
    binary_sources = {src for src, _ in BINARY.values()}
    unknown = sorted(set(given) - binary_sources)
    if unknown:
        raise ValueError(
            f"binarize: no binary attribute {unknown}, expected {sorted(binary_sources)}"
        )
    missing = [c for c in ATTRIBUTES if c not in attrs.columns]
    if missing:
        raise ValueError(f"binarize: attributes lack column(s) {missing}")
    out = {}
    for name, (src, default) in BINARY.items():
        x = attrs[src].to_numpy(dtype=np.float64)
        out[name] = np.where(np.isnan(x), np.nan, x >= given.get(src, default)).astype(np.float32)
    for name, src in CONTINUOUS.items():
        out[name] = attrs[src].to_numpy(dtype=np.float32)
    return pd.DataFrame(out, index=attrs.index)


def split_styleflow(n: int, n_test: int = N_TEST) -> np.ndarray:
    """Split of ``n`` latents as the authors use it: the first ``n_test`` 'test', the rest
    'train'; ``(n,)`` str. Raises ``ValueError`` unless ``0 <= n_test < n``."""
    if not 0 <= n_test < n:
        raise ValueError(f"split_styleflow: n_test={n_test} must be in [0, n={n})")
    out = np.full(n, "train", dtype=object)
    out[:n_test] = "test"
    return out
