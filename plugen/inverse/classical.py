"""The classical fill beside the searches: harmonic (diffusion) inpainting, each hidden pixel
the mean of its four neighbours (Laplace's equation with the observed pixels as boundary),
solved exactly with a sparse linear system per image (scipy)."""

from __future__ import annotations

import numpy as np


def harmonic_fill(images: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Fill the hidden pixels of ``images`` ``(n, C, H, W)`` float where ``keep``
    ``(n, 1, H, W)`` (or ``(1, 1, H, W)``) is 0; observed pixels are returned unchanged.
    Neighbours outside the image are left out (reflecting boundary). A hidden region with no
    observed pixel next to it anywhere gets the image's observed mean (0.5 without any)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.linalg import spsolve

    images = np.asarray(images, dtype=np.float64)
    n, c, h, w = images.shape
    keep = np.broadcast_to(np.asarray(keep) > 0.5, (n, 1, h, w))
    out = images.copy()
    for i in range(n):
        hidden = ~keep[i, 0]
        if not hidden.any():
            continue
        if not (~hidden).any():
            out[i] = 0.5
            continue
        index = -np.ones((h, w), np.int64)
        index[hidden] = np.arange(hidden.sum())
        ys, xs = np.nonzero(hidden)
        rows, cols, vals = [], [], []
        rhs = np.zeros((len(ys), c))
        degree = np.zeros(len(ys))
        for dy, dx in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            ny, nx = ys + dy, xs + dx
            inside = (ny >= 0) & (ny < h) & (nx >= 0) & (nx < w)
            p = np.nonzero(inside)[0]
            degree[p] += 1
            nb_hidden = hidden[ny[p], nx[p]]
            q = p[nb_hidden]
            rows.append(q)
            cols.append(index[ny[q], nx[q]])
            vals.append(-np.ones(len(q)))
            o = p[~nb_hidden]
            rhs[o] += images[i][:, ny[o], nx[o]].T
        rows.append(np.arange(len(ys)))
        cols.append(np.arange(len(ys)))
        vals.append(degree)
        a = coo_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(len(ys), len(ys)),
        ).tocsc()
        mean = images[i][:, ~hidden].mean(1)
        # a hidden component touching no observed pixel is singular: a tiny pull to the mean
        a = a + 1e-9 * coo_matrix(np.eye(len(ys))).tocsc()
        solution = spsolve(a, rhs + 1e-9 * mean[None, :])
        out[i][:, ys, xs] = np.asarray(solution).reshape(len(ys), c).T
    return out.astype(np.float32)
