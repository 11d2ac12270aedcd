"""InterFaceGAN (Shen et al., 2020): one linear boundary per attribute in latent space.

The paper's procedure (genforce/interfacegan, ``utils/manipulator.py``), as done here:

* Boundary. Binary attribute a: a linear SVM on the generator's own latent codes (no per-dimension
  standardizing; the paper's ``train_boundary`` fits ``svm.SVC(kernel='linear')`` on the raw codes,
  here ``sklearn.svm.LinearSVC``, the same linear max-margin boundary, which scales to many rows)
  gives the unit normal n_a and, for the latents centred on their training mean (x = z - mean),
  the offset b_a; the signed distance of x is d_a(x) = n_a . x + b_a, in latent units. The
  paper picks its positives and negatives as the top and bottom 2% of an attribute predictor's
  scores; the labels here are already binary, so every known label is used. Continuous
  attribute: a least-squares linear regression of the standardized label; its unit direction
  plays the role of the normal and the prediction divided by its scale that of the distance.
* Edit strength. An edit moves x along the normal, x' = x + t n, to a fixed signed distance from
  the boundary, as ``linear_interpolate`` does for a latent code (it moves the code to distances
  -3 ... +3): value 1 goes to +alpha_a, value 0 to -alpha_a, with alpha = 3 latent units by
  default (the paper's end distance; its latent codes are unit Gaussians, as a VAE's prior is).
  ``alpha=None`` instead takes the ``alpha_quantile`` quantile of the training |d_a|. A
  continuous attribute goes to the distance of its requested (standardized) value.
* Conditional manipulation (``conditional=True``, the paper's ``project_boundary``): each edited
  attribute moves along its normal projected onto the orthogonal complement of the span of the
  other attributes' normals, so, in the linear model, the attributes not requested keep their
  distances; in a several-attribute edit (a pair) the requested attributes are conditions of
  each other, so each reaches its own target whatever the order. The step along the projected
  direction is the one that puts the edited attribute's own distance d_a at its target.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from plugen import posterior
from plugen.baselines.base import (
    ArrayLike,
    History,
    LabelCoding,
    LatentEditor,
    as_output,
    check_attributes,
    check_labels,
    check_latents,
)
from plugen.train import TrainConfig, split_indices

log = logging.getLogger(__name__)


def _orthogonal_direction(normal: np.ndarray, others: np.ndarray) -> np.ndarray:
    """``normal (d,)`` minus its projection on the span of the rows of ``others (m, d)``."""
    if not len(others):
        return normal
    q, _ = np.linalg.qr(others.T)  # orthonormal basis of the others (Gram-Schmidt)
    return normal - q @ (q.T @ normal)


class InterFaceGAN(LatentEditor):
    """Linear boundaries in latent space (see module docstring).

    It has no generator of its own: ``generate`` samples z from a Gaussian fitted to the
    training latents (mean and full covariance; ``temperature`` scales the deviation) and then
    edits the samples to the requested values.

    alpha: target |distance| (latent units) for binary edits, one float for all attributes or a
    mapping per attribute (default 3, the paper's; None: the ``alpha_quantile`` quantile of the
    training |distances|, also for an attribute a mapping leaves out);
    C: the SVM's regularisation; max_samples: known rows used per SVM (a seeded subsample);
    posterior_draws: samples per latent when fitted with a posterior spread.
    """

    method = "interfacegan"
    checkpoint_format = "plugen-baseline-interfacegan"
    checkpoint_version = 1

    def __init__(
        self,
        latent_dim: int,
        attributes: Sequence[str],
        kinds: Mapping[str, str] | None = None,
        alpha: float | Mapping[str, float] | None = 3.0,
        alpha_quantile: float = 0.9,
        conditional: bool = True,
        C: float = 1.0,
        max_samples: int = 20000,
        posterior_draws: int = 4,
        device: str | torch.device = "cpu",
    ) -> None:
        self.attributes, self.kinds = check_attributes(attributes, kinds, latent_dim)
        if not 0 < alpha_quantile < 1:
            raise ValueError(f"alpha_quantile must be in (0, 1), got {alpha_quantile}")
        given = alpha.values() if isinstance(alpha, Mapping) else [] if alpha is None else [alpha]
        if any(not float(v) > 0 for v in given):
            raise ValueError(f"alpha must be > 0 (a distance from the boundary), got {alpha}")
        self.latent_dim = int(latent_dim)
        self.config = {
            "latent_dim": self.latent_dim,
            "attributes": self.attributes,
            "kinds": self.kinds,
            "alpha": dict(alpha) if isinstance(alpha, Mapping) else alpha,
            "alpha_quantile": float(alpha_quantile),
            "conditional": bool(conditional),
            "C": float(C),
            "max_samples": int(max_samples),
            "posterior_draws": int(posterior_draws),
        }
        k, d = len(self.attributes), self.latent_dim
        self.coding = LabelCoding(self.attributes, self.kinds)
        self.z_mean = np.zeros(d)
        self.z_std = np.ones(d)  # per-dimension scale of the editing space (fit: ones, none)
        self.z_chol = np.eye(d)  # Cholesky factor of the (centred) latents' covariance
        self.normals = np.zeros((k, d))  # unit normals (latent units)
        self.offsets = np.zeros(k)  # signed distance = normals @ x + offsets
        self.scales = np.ones(k)  # continuous: coded label = scale * distance
        self.alpha = np.ones(k)
        self.history: History = []
        self.fitted = False

    # ------------------------------------------------------------------ training
    def fit(
        self,
        z: ArrayLike,
        y: ArrayLike,
        z_std: ArrayLike | None = None,
        *,
        train: TrainConfig | None = None,
        logger: logging.Logger | None = None,
        **settings: Any,
    ) -> History:
        """Fit one boundary per attribute on ``z: (n, d)``, ``y: (n, k)`` (NaN = unknown).

        Of the training settings (``train``, ``settings``: :class:`~plugen.train.TrainConfig`
        fields, as every editor takes) only ``seed`` and ``val_fraction`` are used (closed-form /
        SVM fits). A seeded
        ``val_fraction`` is held out to score each boundary. Returns one row per attribute:
        ``attribute``, ``n_train``, ``train_score``, ``val_score`` (accuracy for binary, R^2 for
        continuous), ``alpha``. With ``z_std``, the boundaries are fitted to
        ``posterior_draws`` seeded posterior samples per training latent (``max_samples`` then
        counts draws) and scored on the validation latents' means.
        A binary attribute with a single class in the labels gets no boundary (a warning; its
        row has no scores): edits of it leave latents unchanged.
        """
        from sklearn.svm import LinearSVC  # optional dependency of the baselines only

        cfg = self.train_config(train, settings)
        seed = cfg.seed
        logger = logger or log
        zt = check_latents(z, self.latent_dim, "fit: z")
        st = posterior.check_spread(z_std, zt, "fit: z_std")
        yt = check_labels(y, self.attributes, self.kinds, len(zt), "fit: labels")
        self.coding.fit(yt)
        tr_idx, va_idx = (t.numpy() for t in split_indices(len(zt), cfg.val_fraction, seed))
        if st is not None:  # every row's draws share its labels and its side of the split
            n, draws = len(zt), self.config["posterior_draws"]
            sampled, rows = posterior.posterior_draws(zt, st, draws, seed)
            tr_idx = (tr_idx[None] + n * np.arange(draws)[:, None]).reshape(-1)
            # validation scores the means of the validation rows, as every other method does
            zt, yt = torch.cat([sampled, zt[va_idx]]), torch.cat([yt[rows], yt[va_idx]])
            va_idx = np.arange(n * draws, n * draws + len(va_idx))
        zn, yn = zt.double().numpy(), self.coding.code(yt).double().numpy()
        self.z_mean = zn.mean(0)
        self.z_std = np.ones(self.latent_dim)  # the paper's space: the generator's own units
        x = (zn - self.z_mean) / self.z_std
        cov = np.cov(x, rowvar=False) + 1e-6 * np.eye(self.latent_dim)
        self.z_chol = np.linalg.cholesky(cov)
        rng = np.random.default_rng(seed)
        self.history = []
        for j, a in enumerate(self.attributes):
            tr = tr_idx[~np.isnan(yn[tr_idx, j])]
            va = va_idx[~np.isnan(yn[va_idx, j])]
            if len(tr) > self.config["max_samples"]:
                tr = rng.choice(tr, self.config["max_samples"], replace=False)
            if self.kinds[a] == "binary" and len(np.unique(yn[tr, j])) < 2:
                logger.warning(
                    "interfacegan: binary attribute '%s' has a single class in the training "
                    "labels: no boundary, edits of it leave latents unchanged",
                    a,
                )
                self.normals[j], self.offsets[j], self.alpha[j] = 0.0, 0.0, 0.0
                self.history.append({"attribute": a, "n_train": float(len(tr)), "alpha": 0.0})
                continue
            if self.kinds[a] == "binary":
                svm = LinearSVC(C=self.config["C"], class_weight="balanced", random_state=seed)
                svm.fit(x[tr], yn[tr, j] > 0)
                w, b = svm.coef_[0], float(svm.intercept_[0])
                norm = float(np.linalg.norm(w))
                self.normals[j], self.offsets[j], self.scales[j] = w / norm, b / norm, 1.0
            else:
                design = np.c_[x[tr], np.ones(len(tr))]
                coef, *_ = np.linalg.lstsq(design, yn[tr, j], rcond=None)
                norm = float(np.linalg.norm(coef[:-1]))
                self.normals[j] = coef[:-1] / norm
                self.offsets[j], self.scales[j] = coef[-1] / norm, norm
            dist = x @ self.normals[j] + self.offsets[j]
            self.alpha[j] = self._alpha_for(a, dist[tr])
            row = {
                "attribute": a,
                "n_train": float(len(tr)),
                "train_score": self._score(j, dist[tr], yn[tr, j]),
                "val_score": self._score(j, dist[va], yn[va, j]) if len(va) else float("nan"),
                "alpha": float(self.alpha[j]),
            }
            logger.info("interfacegan %s", " ".join(f"{k}={v}" for k, v in row.items()))
            self.history.append(row)
        self.fitted = True
        return self.history

    def _alpha_for(self, name: str, dist: np.ndarray) -> float:
        alpha = self.config["alpha"]
        if isinstance(alpha, Mapping) and name in alpha:
            return float(alpha[name])
        if alpha is not None and not isinstance(alpha, Mapping):
            return float(alpha)
        return float(np.quantile(np.abs(dist), self.config["alpha_quantile"]))

    def _score(self, j: int, dist: np.ndarray, coded: np.ndarray) -> float:
        if self.kinds[self.attributes[j]] == "binary":
            return float(np.mean((dist > 0) == (coded > 0)))
        pred = self.scales[j] * dist
        ss_tot = float(np.sum((coded - coded.mean()) ** 2))
        return 1.0 - float(np.sum((coded - pred) ** 2)) / max(ss_tot, 1e-12)

    # ------------------------------------------------------------------ inference
    def distances(self, z: ArrayLike) -> np.ndarray:
        """Signed distances ``(n, k)`` of latents ``z: (n, d)`` to each attribute's boundary
        (continuous attributes: the predicted standardized label divided by its scale)."""
        x = (check_latents(z, self.latent_dim).double().numpy() - self.z_mean) / self.z_std
        return x @ self.normals.T + self.offsets

    def _target_distance(self, name: str, value: float) -> float:
        j = self.attributes.index(name)
        coded = self.coding.target(name, value)
        if self.kinds[name] == "binary":
            return coded * self.alpha[j]
        return coded / self.scales[j]

    def _edit(self, x: np.ndarray, values: Mapping[str, float]) -> np.ndarray:
        """Centred latents ``(n, d)`` with the requested distances set: each requested attribute
        moves along its (conditional) direction until its own distance is at its target."""
        x = x.copy()
        fitted = np.abs(self.normals).sum(1) > 0  # False: a single-class attribute, no boundary
        for name, v in values.items():
            j = self.attributes.index(name)
            if not fitted[j]:
                continue
            others = [i for i in range(len(self.attributes)) if i != j and fitted[i]]
            direction = self.normals[j]
            if self.config["conditional"]:
                direction = _orthogonal_direction(direction, self.normals[others])
            gain = float(direction @ self.normals[j])  # distance change per unit step
            if gain < 1e-3:
                raise ValueError(
                    f"manipulate: the normal of '{name}' lies in the span of the other "
                    "attributes' normals; edit it with conditional=False"
                )
            dist = x @ self.normals[j] + self.offsets[j]
            x += np.outer((self._target_distance(name, v) - dist) / gain, direction)
        return x

    def manipulate(
        self,
        z: ArrayLike,
        values: Mapping[str, float],
        source_labels: ArrayLike | None = None,
    ) -> ArrayLike:
        """Move latents ``z: (n, d)`` along the (conditional) normals so the requested
        attributes sit at their target distances. ``source_labels`` is not needed (ignored)."""
        values = self.coding.check_values(values, "manipulate")
        zt = check_latents(z, self.latent_dim)
        x = (zt.double().numpy() - self.z_mean) / self.z_std
        out = self._edit(x, values) * self.z_std + self.z_mean
        return as_output(torch.from_numpy(out.astype(np.float32)), z)

    def generate(
        self,
        values: Mapping[str, float],
        n: int,
        temperature: float = 1.0,
        seed: int | None = None,
    ) -> np.ndarray:
        """``n`` latents ``(n, d)``: Gaussian samples of the training latents (InterFaceGAN has
        no generator of its own) edited to the requested ``values``."""
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        values = self.coding.check_values(values, "generate")
        rng = np.random.default_rng(seed)
        x = temperature * rng.standard_normal((n, self.latent_dim)) @ self.z_chol.T
        out = self._edit(x, values) * self.z_std + self.z_mean
        return out.astype(np.float32)

    # ------------------------------------------------------------------ persistence
    _ARRAYS = ("z_mean", "z_std", "z_chol", "normals", "offsets", "scales", "alpha")

    def _weights(self) -> dict:
        return {
            name: torch.from_numpy(np.asarray(getattr(self, name), dtype=np.float64))
            for name in self._ARRAYS
        }

    @classmethod
    def _build(cls, config: dict, device: str | torch.device) -> InterFaceGAN:
        return cls(**config)  # a numpy model: no device

    def _restore(self, weights: dict, device: str | torch.device) -> None:
        for name, t in weights.items():
            setattr(self, name, t.numpy())
