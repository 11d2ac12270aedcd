"""Activity oracles for DRD2, GSK3-beta and JNK3, and a second GSK3-beta judge.

**Oracles.** The TDC / PMO classifiers (DRD2: RBF SVC with Platt probabilities; GSK3-beta and
JNK3: random forests of 100 trees), pickled with scikit-learn 0.21.3, are read out of the pinned
``molscore`` wheel (``molscore_wheel.json`` beside this module pins the wheel's and each
pickle's sha256). A restricted unpickler resolves only numpy's array machinery and four
scikit-learn classes, each mapped to a stand-in that keeps its ``__setstate__`` state; the
fitted arrays are taken out of that state and prediction is numpy. scikit-learn is not
imported, so the old objects never have to load in the installed version.

Featurisation, as TDC's ``tdc/chem_utils/oracle/oracle.py`` (``fingerprints_from_mol`` for
``drd2``; ``gsk3b`` and ``jnk3``) and as the models were trained:

- ``drd2``: FCFP6 counts: Morgan radius 3, feature invariants, counts, ids folded modulo 2048;
- ``gsk3b``, ``jnk3``: ECFP4 bits: Morgan radius 2, 2048-bit vector.

(molscore's ``LegacyQSAR`` server lists "ECFP6" for GSK3B/JNK3; radius 2 is what TDC and the
models' authors, wengong-jin/multiobj-rationale ``properties.py``, use.) The RDKit
``MorganGenerator`` fingerprints used here equal the legacy ``GetMorganFingerprint*`` calls
of that code.

**Second judge.** :class:`MoleculeAceJudge`: a seeded scikit-learn random forest on ECFP4
counts, trained on the train split of MoleculeACE's ``CHEMBL262_Ki`` (GSK3-beta) set read out
of the pinned ``MoleculeACE`` wheel (``moleculeace_wheel.json``); actives are pKi >= 7
(Ki <= 100 nM) by default. Only this class needs scikit-learn (imported when used).
"""

from __future__ import annotations

import io
import logging
import pickle
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np

from plugen.wheels import load_wheel_meta, read_pinned_member
from plugen.wheels import resolve_wheel as resolve_pinned

log = logging.getLogger(__name__)

TARGETS = ("drd2", "gsk3b", "jnk3")
N_BITS = 2048
#: fingerprint per target (see the module docstring for the source)
FINGERPRINTS = {"drd2": "fcfp6_counts", "gsk3b": "ecfp4_bits", "jnk3": "ecfp4_bits"}
FINGERPRINT_KINDS = ("ecfp4_bits", "ecfp4_counts", "fcfp6_counts")
# package data next to this module (pyproject.toml [tool.setuptools.package-data])
MOLSCORE_META = files(__package__) / "molscore_wheel.json"
MOLECULEACE_META = files(__package__) / "moleculeace_wheel.json"
_LIBSVM_MIN_PROB = 1e-7  # libsvm's svm_predict_probability clips pairwise probabilities


# --------------------------------------------------------------------------- restricted unpickler
class _StandIn:
    """A pickled scikit-learn object, inert: keeps the constructor arguments and the
    ``__setstate__`` state; nothing of scikit-learn runs."""

    def __init__(self, *args: Any) -> None:
        self.args = args
        self.state: dict = {}

    def __setstate__(self, state: Any) -> None:
        self.state = state if isinstance(state, dict) else {"_state": state}


class ForestStandIn(_StandIn):
    """``RandomForestClassifier``."""


class DecisionTreeStandIn(_StandIn):
    """``DecisionTreeClassifier``."""


class TreeStandIn(_StandIn):
    """``sklearn.tree._tree.Tree``: ``args`` = (n_features, n_classes, n_outputs); ``state`` has
    ``nodes`` (structured array), ``values`` (n_nodes, n_outputs, n_classes), ``max_depth``,
    ``node_count``."""


class SVCStandIn(_StandIn):
    """``SVC``."""


def _numpy_multiarray():
    try:
        from numpy._core import multiarray
    except ImportError:  # numpy < 2
        from numpy.core import multiarray
    return multiarray


def _allowed_globals() -> dict[tuple[str, str], Any]:
    ma = _numpy_multiarray()
    allowed: dict[tuple[str, str], Any] = {
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
    }
    for mod in ("numpy.core.multiarray", "numpy._core.multiarray"):
        allowed[(mod, "_reconstruct")] = ma._reconstruct
        allowed[(mod, "scalar")] = ma.scalar
    # scikit-learn's module paths before (0.21) and after (0.22+) the private-module renames
    for mod in ("sklearn.ensemble.forest", "sklearn.ensemble._forest"):
        allowed[(mod, "RandomForestClassifier")] = ForestStandIn
    for mod in ("sklearn.tree.tree", "sklearn.tree._classes"):
        allowed[(mod, "DecisionTreeClassifier")] = DecisionTreeStandIn
    allowed[("sklearn.tree._tree", "Tree")] = TreeStandIn
    for mod in ("sklearn.svm.classes", "sklearn.svm._classes"):
        allowed[(mod, "SVC")] = SVCStandIn
    return allowed


class _Refused(ValueError):
    pass


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that resolves only numpy arrays/dtypes/scalars and scikit-learn's
    RandomForestClassifier, DecisionTreeClassifier, Tree and SVC (as inert stand-ins).

    Any other global raises ValueError: ``<label>: class <module>.<name> is not allowed ...``.
    """

    def __init__(self, file: io.BufferedIOBase, label: str) -> None:
        super().__init__(file)
        self.label = label
        self._allowed = _allowed_globals()

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise _Refused(
                f"{self.label}: class {module}.{name} is not allowed by the restricted unpickler "
                "(numpy arrays and sklearn RandomForestClassifier, DecisionTreeClassifier, Tree, "
                "SVC only)"
            ) from None

    def persistent_load(self, pid: Any) -> Any:
        raise _Refused(f"{self.label}: persistent ids are not allowed by the restricted unpickler")


def restricted_loads(data: bytes, label: str = "pickle") -> Any:
    """Unpickle ``data`` with :class:`RestrictedUnpickler`; scikit-learn objects come back as
    stand-ins (:class:`ForestStandIn`, :class:`SVCStandIn`, ...).

    Raises ValueError (one line, starting with ``label``) for a disallowed class or an
    unreadable pickle.
    """
    try:
        return RestrictedUnpickler(io.BytesIO(data), label).load()
    except _Refused as err:
        raise ValueError(str(err)) from None
    except Exception as err:  # noqa: BLE001 - any unpickling failure becomes one line
        first = (str(err).splitlines() or [""])[0]
        raise ValueError(
            f"{label}: not a readable pickle ({type(err).__name__}: {first})"
        ) from None


# --------------------------------------------------------------------------- random forests
@dataclass(frozen=True, eq=False)
class TreeEnsemble:
    """A fitted random forest flattened into one node table; prediction in numpy.

    ``left``, ``right``, ``feature``: (n_nodes,) int64 (a leaf points to itself);
    ``threshold``: (n_nodes,) float64 (go left when ``x[feature] <= threshold``);
    ``proba``: (n_nodes, n_classes) float64, the class fractions of each node's training samples
    (read at leaves); ``roots``: (n_trees,) int64; ``depth``: steps from a root to the deepest
    leaf; ``classes``: (n_classes,).
    """

    left: np.ndarray
    right: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    proba: np.ndarray
    roots: np.ndarray
    depth: int
    n_features: int
    classes: np.ndarray

    @property
    def n_trees(self) -> int:
        return len(self.roots)

    @classmethod
    def from_tree_states(
        cls,
        states: Sequence[dict],
        n_features: int,
        classes: np.ndarray,
        label: str = "forest",
    ) -> TreeEnsemble:
        """Build from scikit-learn ``Tree`` states (``Tree.__getstate__`` dicts): ``nodes`` a
        structured array with fields ``left_child``, ``right_child`` (-1 at leaves),
        ``feature``, ``threshold``; ``values`` (n_nodes, 1, n_classes) class weights.

        Raises ValueError (one line, naming ``label``) on a malformed state.
        """
        n_classes = len(classes)
        parts: dict[str, list] = {k: [] for k in ("left", "right", "feature", "threshold", "p")}
        roots, offset, depth = [], 0, 0
        for i, st in enumerate(states):
            where = f"{label}: tree {i}"
            try:
                nodes, values = st["nodes"], np.asarray(st["values"], dtype=np.float64)
                left = np.asarray(nodes["left_child"], dtype=np.int64)
                right = np.asarray(nodes["right_child"], dtype=np.int64)
                feature = np.asarray(nodes["feature"], dtype=np.int64)
                threshold = np.asarray(nodes["threshold"], dtype=np.float64)
            except (KeyError, ValueError, TypeError, IndexError) as err:
                raise ValueError(f"{where}: not a scikit-learn tree state ({err})") from None
            n = len(left)
            if n == 0 or values.shape != (n, 1, n_classes):
                raise ValueError(
                    f"{where}: values shape {values.shape}, expected ({n}, 1, {n_classes})"
                )
            leaf = left == -1
            if np.any(leaf != (right == -1)):
                raise ValueError(f"{where}: a node has exactly one child")
            inner = ~leaf
            kids = np.concatenate([left[inner], right[inner]])
            if np.any(kids <= 0) or np.any(kids >= n):
                raise ValueError(f"{where}: child index out of range [1, {n})")
            if np.any(feature[inner] < 0) or np.any(feature[inner] >= n_features):
                raise ValueError(f"{where}: split feature out of range [0, {n_features})")
            # depth by levels from the root; in a tree no node is reached twice
            frontier, levels, reached = np.array([0]), 0, 1
            while True:
                frontier = frontier[inner[frontier]]
                if len(frontier) == 0:
                    break
                frontier = np.concatenate([left[frontier], right[frontier]])
                levels, reached = levels + 1, reached + len(frontier)
                if reached > n:
                    raise ValueError(f"{where}: the node links do not form a tree")
            depth = max(depth, levels)
            own = np.arange(n, dtype=np.int64)
            parts["left"].append(np.where(leaf, own, left) + offset)
            parts["right"].append(np.where(leaf, own, right) + offset)
            parts["feature"].append(np.where(leaf, 0, feature))
            parts["threshold"].append(np.where(leaf, 0.0, threshold))
            weight = values[:, 0, :]
            total = weight.sum(axis=1, keepdims=True)
            parts["p"].append(weight / np.where(total == 0.0, 1.0, total))
            roots.append(offset)
            offset += n
        if not roots:
            raise ValueError(f"{label}: the forest has no trees")
        return cls(
            left=np.concatenate(parts["left"]),
            right=np.concatenate(parts["right"]),
            feature=np.concatenate(parts["feature"]),
            threshold=np.concatenate(parts["threshold"]),
            proba=np.concatenate(parts["p"]),
            roots=np.asarray(roots, dtype=np.int64),
            depth=depth,
            n_features=int(n_features),
            classes=np.asarray(classes),
        )

    def leaves(self, x: np.ndarray) -> np.ndarray:
        """Leaf row reached in every tree: x (n, n_features) -> (n, n_trees) int64.

        ``x`` is cast to float32 first, as scikit-learn's trees do. All (sample, tree) paths
        descend together, one level a step; those at a leaf drop out. Raises ValueError on a
        wrong shape.
        """
        x = _check_features(x, self.n_features, np.float32)
        n, n_trees = len(x), self.n_trees
        node = np.tile(self.roots, n)  # (n * n_trees,), sample-major
        sample = np.repeat(np.arange(n), n_trees)
        is_leaf = self.left == np.arange(len(self.left))
        active = np.flatnonzero(~is_leaf[node])
        for _ in range(self.depth):
            if len(active) == 0:
                break
            at = node[active]
            go_left = x[sample[active], self.feature[at]] <= self.threshold[at]
            nxt = np.where(go_left, self.left[at], self.right[at])
            node[active] = nxt
            active = active[~is_leaf[nxt]]
        return node.reshape(n, n_trees)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Mean over trees of the leaf class fractions: x (n, n_features) -> (n, n_classes).
        Raises ValueError on a wrong shape."""
        per_tree = self.proba[self.leaves(x)]  # (n, n_trees, n_classes)
        total = np.zeros((per_tree.shape[0], per_tree.shape[2]))
        for t in range(self.n_trees):  # summed tree by tree, as scikit-learn does
            total += per_tree[:, t]
        return total / self.n_trees


def _check_features(x: np.ndarray, n_features: int, dtype: type) -> np.ndarray:
    x = np.asarray(x, dtype=dtype)
    if x.ndim != 2 or x.shape[1] != n_features:
        raise ValueError(f"features of shape {x.shape}, expected (n, {n_features})")
    return x


def forest_from_state(obj: Any, label: str = "forest") -> TreeEnsemble:
    """:class:`TreeEnsemble` from an unpickled :class:`ForestStandIn` (a binary or multi-class
    single-output RandomForestClassifier). Raises ValueError (one line) otherwise."""
    if not isinstance(obj, ForestStandIn):
        raise ValueError(f"{label}: expected a RandomForestClassifier, got {type(obj).__name__}")
    st = obj.state
    try:
        estimators, classes = st["estimators_"], np.asarray(st["classes_"])
        n_features = int(st.get("n_features_", st.get("n_features_in_")))
    except (KeyError, TypeError) as err:
        raise ValueError(f"{label}: RandomForestClassifier state lacks {err}") from None
    if int(st.get("n_outputs_", 1)) != 1:
        raise ValueError(f"{label}: only single-output forests are supported")
    trees = []
    for i, est in enumerate(estimators):
        tree = getattr(est, "state", {}).get("tree_")
        if not isinstance(est, DecisionTreeStandIn) or not isinstance(tree, TreeStandIn):
            raise ValueError(f"{label}: estimator {i} is not a DecisionTreeClassifier with a tree_")
        trees.append(tree.state)
    return TreeEnsemble.from_tree_states(trees, n_features, classes, label)


# --------------------------------------------------------------------------- RBF SVC
@dataclass(frozen=True, eq=False)
class RbfSVC:
    """A fitted binary RBF support vector classifier with Platt probabilities, in libsvm's
    convention (as scikit-learn's private ``_dual_coef_``, ``_intercept_``, ``_probA``).

    ``support_vectors``: (n_sv, n_features) float64; ``dual_coef``: (n_sv,) float64;
    ``intercept``: libsvm's ``-rho``; ``gamma``; ``prob_a``, ``prob_b``: Platt's A and B;
    ``classes``: (2,). libsvm's decision value ``f(x) = sum_i dual_coef_i
    exp(-gamma |x - sv_i|^2) + intercept`` is positive for ``classes[0]``; Platt's pairwise
    probability ``r01 = 1 / (1 + exp(A f(x) + B))``, clipped to [1e-7, 1 - 1e-7], is coupled
    as libsvm does (:func:`libsvm_coupling`).
    """

    support_vectors: np.ndarray
    dual_coef: np.ndarray
    intercept: float
    gamma: float
    prob_a: float
    prob_b: float
    classes: np.ndarray

    def __post_init__(self) -> None:
        sv = np.asarray(self.support_vectors, dtype=np.float64)
        integer = bool(np.array_equal(sv, np.round(sv)))
        cache = {
            "sq": (sv * sv).sum(1),
            # float32 copy when the support vectors hold integers (counts): see decision_libsvm
            "sv32": sv.astype(np.float32) if integer else None,
            "abs_max": float(np.abs(sv).max(initial=0)),
            "abs_rowsum_max": float(np.abs(sv).sum(1).max(initial=0)),
        }
        object.__setattr__(self, "_cache", cache)

    @property
    def n_features(self) -> int:
        return self.support_vectors.shape[1]

    def decision_libsvm(self, x: np.ndarray) -> np.ndarray:
        """libsvm's decision value f(x): x (n, n_features) -> (n,) float64 (positive: classes[0];
        scikit-learn's ``decision_function`` is its negative). Raises ValueError on a wrong
        shape.

        With integer features (fingerprint counts) and integer support vectors whose dot
        products stay below 2**24, ``x @ sv.T`` is computed in float32, which is then exact.
        """
        x = _check_features(x, self.n_features, np.float64)
        c = self._cache
        ax = np.abs(x)
        bound = min(  # |sum_k x_k sv_k| <= max|x| * sum|sv_k|, and the other way round
            ax.max(initial=0) * c["abs_rowsum_max"], c["abs_max"] * ax.sum(1).max(initial=0)
        )
        if c["sv32"] is not None and bound < 2**24 and np.array_equal(x, np.round(x)):
            sq = (x.astype(np.float32) @ c["sv32"].T).astype(np.float64)
        else:
            sq = x @ self.support_vectors.T
        sq *= -2.0  # |x - sv|^2 = |x|^2 + |sv|^2 - 2 x.sv
        sq += (x * x).sum(1)[:, None]
        sq += c["sq"][None, :]
        np.maximum(sq, 0.0, out=sq)
        sq *= -self.gamma
        return np.exp(sq, out=sq) @ self.dual_coef + self.intercept

    def decision_function(self, x: np.ndarray) -> np.ndarray:
        """scikit-learn's sign: positive for ``classes[1]``; (n,) float64."""
        return -self.decision_libsvm(x)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """P(classes[0]), P(classes[1]) as scikit-learn's libsvm computes them: x (n, n_features)
        -> (n, 2). The Platt probability (``sigmoid_predict``, clipped) goes through libsvm's
        pairwise coupling (:func:`libsvm_coupling`), which scikit-learn's libsvm runs for two
        classes too."""
        f_apb = self.prob_a * self.decision_libsvm(x) + self.prob_b
        e = np.exp(-np.abs(f_apb))
        r01 = np.where(f_apb >= 0, e / (1.0 + e), 1.0 / (1.0 + e))
        return libsvm_coupling(np.clip(r01, _LIBSVM_MIN_PROB, 1.0 - _LIBSVM_MIN_PROB))


def libsvm_coupling(r01: np.ndarray, max_iter: int = 100) -> np.ndarray:
    """libsvm's ``multiclass_probability`` (Wu, Lin & Weng 2004, method 2) for two classes,
    vectorised: pairwise P(class 0 vs 1) r01 (n,) -> class probabilities (n, 2).

    It starts at (0.5, 0.5) and stops once max_t |(Qp)_t - p'Qp| < 0.005 / 2, so the result
    can differ from (r01, 1 - r01) by up to a few 1e-3; the arithmetic follows libsvm's
    order to reproduce scikit-learn's ``predict_proba``.
    """
    r01 = np.asarray(r01, dtype=np.float64)
    r10 = 1.0 - r01
    q00, q11, q01 = r10 * r10, r01 * r01, -r10 * r01
    q = ((q00, q01), (q01, q11))
    p = [np.full_like(r01, 0.5), np.full_like(r01, 0.5)]
    eps = 0.005 / 2
    active = np.ones(r01.shape, dtype=bool)
    for _ in range(max_iter):
        qp = [0.0 + q[t][0] * p[0] + q[t][1] * p[1] for t in range(2)]
        pqp = 0.0 + p[0] * qp[0] + p[1] * qp[1]
        active &= np.maximum(np.abs(qp[0] - pqp), np.abs(qp[1] - pqp)) >= eps
        if not active.any():
            break
        new_p, new_qp = list(p), list(qp)
        for t in range(2):
            diff = (-new_qp[t] + pqp) / q[t][t]
            new_p[t] = new_p[t] + diff
            pqp = (pqp + diff * (diff * q[t][t] + 2 * new_qp[t])) / (1 + diff) / (1 + diff)
            for j in range(2):
                new_qp[j] = (new_qp[j] + diff * q[t][j]) / (1 + diff)
                new_p[j] = new_p[j] / (1 + diff)
        p = [np.where(active, new_p[j], p[j]) for j in range(2)]
    return np.stack(p, axis=1)


def svc_from_state(obj: Any, label: str = "svc") -> RbfSVC:
    """:class:`RbfSVC` from an unpickled :class:`SVCStandIn` (binary, dense, RBF kernel, fitted
    with ``probability=True``). Raises ValueError (one line) otherwise."""
    if not isinstance(obj, SVCStandIn):
        raise ValueError(f"{label}: expected an SVC, got {type(obj).__name__}")
    st = obj.state
    prob_a = st.get("_probA", st.get("probA_"))
    prob_b = st.get("_probB", st.get("probB_"))
    need = {"kernel", "_gamma", "support_vectors_", "_dual_coef_", "_intercept_", "classes_"}
    missing = sorted(need - set(st)) + (
        ["_probA/_probB"] if prob_a is None or prob_b is None else []
    )
    if missing:
        raise ValueError(f"{label}: SVC state lacks {', '.join(missing)}")
    if st["kernel"] != "rbf" or st.get("_impl", "c_svc") != "c_svc" or st.get("_sparse", False):
        raise ValueError(
            f"{label}: only a dense c_svc with an rbf kernel is supported (kernel "
            f"{st['kernel']!r}, impl {st.get('_impl')!r}, sparse {st.get('_sparse')})"
        )
    classes = np.asarray(st["classes_"])
    sv = np.asarray(st["support_vectors_"], dtype=np.float64)
    coef = np.asarray(st["_dual_coef_"], dtype=np.float64)
    prob_a, prob_b = np.asarray(prob_a).ravel(), np.asarray(prob_b).ravel()
    if len(classes) != 2 or coef.shape != (1, len(sv)) or len(prob_a) != 1 or len(prob_b) != 1:
        raise ValueError(
            f"{label}: expected a binary SVC (classes {len(classes)}, dual_coef {coef.shape}, "
            f"{len(sv)} support vectors, probA {len(prob_a)})"
        )
    return RbfSVC(
        support_vectors=sv,
        dual_coef=coef[0],
        intercept=float(np.asarray(st["_intercept_"]).ravel()[0]),
        gamma=float(st["_gamma"]),
        prob_a=float(prob_a[0]),
        prob_b=float(prob_b[0]),
        classes=classes,
    )


def model_from_pickle(data: bytes, label: str = "pickle") -> TreeEnsemble | RbfSVC:
    """A random forest or an RBF SVC from pickle bytes, through :func:`restricted_loads`.
    Raises ValueError (one line) for a disallowed class or another kind of model."""
    obj = restricted_loads(data, label)
    if isinstance(obj, ForestStandIn):
        return forest_from_state(obj, label)
    if isinstance(obj, SVCStandIn):
        return svc_from_state(obj, label)
    raise ValueError(f"{label}: expected a RandomForestClassifier or SVC, got {type(obj).__name__}")


# --------------------------------------------------------------------------- featurisation
@cache
def _generator(kind: str):
    from rdkit.Chem import rdFingerprintGenerator as fg

    if kind in ("ecfp4_bits", "ecfp4_counts"):
        return fg.GetMorganGenerator(radius=2, fpSize=N_BITS)
    if kind == "fcfp6_counts":
        return fg.GetMorganGenerator(
            radius=3, fpSize=N_BITS, atomInvariantsGenerator=fg.GetMorganFeatureAtomInvGen()
        )
    raise ValueError(f"unknown fingerprint {kind!r}; expected one of {FINGERPRINT_KINDS}")


def fingerprints(mols: Sequence, kind: str) -> np.ndarray:
    """Fingerprints of RDKit molecules: (n, 2048) float32, 0/1 for ``*_bits``, counts for
    ``*_counts`` (Morgan ids folded modulo 2048, as ``id % 2048`` in TDC). Kinds:
    ``ecfp4_bits`` (radius 2), ``ecfp4_counts`` (radius 2), ``fcfp6_counts`` (radius 3, feature
    invariants). Raises ValueError for an unknown kind."""
    gen = _generator(kind)
    out = np.zeros((len(mols), N_BITS), dtype=np.float32)
    as_numpy = (
        gen.GetFingerprintAsNumPy if kind.endswith("_bits") else gen.GetCountFingerprintAsNumPy
    )
    for i, mol in enumerate(mols):
        out[i] = as_numpy(mol)
    return out


def parse_smiles(smiles: Sequence[str]) -> tuple[list, np.ndarray]:
    """RDKit molecules (None where invalid) and the (n,) bool mask of invalid entries (empty or
    unparsable strings; RDKit's log silenced)."""
    from plugen.experiments.molecules.data import mol_from_smiles

    mols = [mol_from_smiles(s) for s in smiles]
    return mols, np.array([m is None for m in mols], dtype=bool)


def featurize(smiles: Sequence[str], kind: str) -> tuple[np.ndarray, np.ndarray]:
    """``(features (n_valid, 2048) float32, invalid (n,) bool)`` for a SMILES list."""
    mols, invalid = parse_smiles(smiles)
    return fingerprints([m for m in mols if m is not None], kind), invalid


# --------------------------------------------------------------------------- wheels
def resolve_wheel(where: str | Path | None, meta: dict | str | Path) -> tuple[Path, dict, str]:
    """``(wheel path, meta dict, meta label)`` for the pinned wheel of ``meta``
    (:func:`plugen.wheels.resolve_wheel`)."""
    data, label = load_wheel_meta(meta)
    return resolve_pinned(where, meta), data, label


def _meta_path(meta: dict | str | Path | None, default) -> dict | str | Path:
    return meta if meta is not None else Path(str(default))


# --------------------------------------------------------------------------- the oracles
@dataclass
class OracleScores:
    """Oracle probabilities for a SMILES list: ``p[target]`` (n,) float64 in [0, 1], NaN where
    ``invalid`` (n,) bool."""

    p: dict[str, np.ndarray]
    invalid: np.ndarray

    @property
    def n_invalid(self) -> int:
        return int(self.invalid.sum())


class ActivityOracles:
    """DRD2 / GSK3-beta / JNK3 activity oracles (``models[target]``: :class:`RbfSVC` or
    :class:`TreeEnsemble`, fed ``FINGERPRINTS[target]``); P(active) is the probability of
    class 1."""

    def __init__(
        self,
        models: dict[str, TreeEnsemble | RbfSVC],
        fingerprint: dict[str, str] | None = None,
        batch_size: int = 1024,
    ) -> None:
        self.models = dict(models)
        self.fingerprint = {t: (fingerprint or FINGERPRINTS)[t] for t in self.models}
        self.batch_size = int(batch_size)
        for t, model in self.models.items():
            if model.n_features != N_BITS:
                raise ValueError(f"{t}: model takes {model.n_features} features, not {N_BITS}")
            if 1 not in set(np.asarray(model.classes).tolist()):
                raise ValueError(f"{t}: model classes {model.classes} lack the active class 1")

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(self.models)

    @classmethod
    def from_wheel(
        cls,
        where: str | Path | None = None,
        meta: dict | str | Path | None = None,
        targets: Sequence[str] = TARGETS,
    ) -> ActivityOracles:
        """Oracles read out of the pinned molscore wheel. ``where``: the wheel file or a folder
        holding (or to receive) it, default ``$PLUGEN_WHEEL_DIR`` else
        ``~/.cache/plugen/wheels``; ``meta``: dict or json path (default
        ``molscore_wheel.json``) with ``members[target]`` and ``member_sha256[target]``.

        Raises ValueError (one line) on a wrong wheel or pickle sha256, a disallowed class in a
        pickle or an unknown target, RuntimeError when the wheel cannot be downloaded.
        """
        wheel, data, label = resolve_wheel(where, _meta_path(meta, MOLSCORE_META))
        members, hashes = data.get("members", {}), data.get("member_sha256", {})
        models = {}
        for t in targets:
            if t not in members or t not in FINGERPRINTS:
                raise ValueError(f"{label}: unknown target {t!r}; members are {sorted(members)}")
            raw = read_pinned_member(wheel, members[t], hashes.get(t), label)
            models[t] = model_from_pickle(raw, f"{wheel.name}:{members[t]}")
        return cls(models)

    def score(self, smiles: Sequence[str]) -> OracleScores:
        """Probabilities for ``smiles`` (n,), featurised and predicted in batches; invalid SMILES
        get NaN and are counted (logged)."""
        smiles = list(smiles)
        invalid = np.zeros(len(smiles), dtype=bool)
        p = {t: np.full(len(smiles), np.nan) for t in self.models}
        kinds = sorted(set(self.fingerprint.values()))
        for start in range(0, len(smiles), self.batch_size):
            mols, bad = parse_smiles(smiles[start : start + self.batch_size])
            invalid[start : start + len(mols)] = bad
            rows = start + np.flatnonzero(~bad)
            good = [m for m in mols if m is not None]
            if not good:
                continue
            feats = {k: fingerprints(good, k) for k in kinds}
            for t, model in self.models.items():
                col = int(np.flatnonzero(np.asarray(model.classes) == 1)[0])
                p[t][rows] = model.predict_proba(feats[self.fingerprint[t]])[:, col]
        if invalid.any():
            log.info("activity oracles: %d of %d SMILES invalid (NaN)", invalid.sum(), len(smiles))
        return OracleScores(p, invalid)

    def predict(self, smiles: Sequence[str]) -> dict[str, np.ndarray]:
        """``{target: (n,) float64 P(active)}``, NaN for invalid SMILES."""
        return self.score(smiles).p

    def labels(self, smiles: Sequence[str], threshold: float = 0.5) -> dict[str, np.ndarray]:
        """``{target: (n,) float64}``: 1.0 where P(active) >= ``threshold``, else 0.0; NaN for
        invalid SMILES."""
        return {t: _threshold(p, threshold) for t, p in self.predict(smiles).items()}


def _threshold(p: np.ndarray, threshold: float) -> np.ndarray:
    return np.where(np.isnan(p), np.nan, (p >= threshold).astype(np.float64))


def load_oracles(
    where: str | Path | None = None, meta: dict | str | Path | None = None
) -> ActivityOracles:
    """Shorthand for :meth:`ActivityOracles.from_wheel`."""
    return ActivityOracles.from_wheel(where, meta)


# --------------------------------------------------------------------------- second judge
def read_moleculeace(
    where: str | Path | None = None,
    meta: dict | str | Path | None = None,
    dataset: str = "CHEMBL262_Ki",
):
    """A MoleculeACE set as a DataFrame (``smiles``, ``exp_mean [nM]``, ``split``, ..., plus
    ``pk`` = 9 - log10(nM)), read out of the pinned wheel (member sha256 checked).

    Raises ValueError (one line) for an unpinned dataset, a wrong sha256 or missing columns,
    RuntimeError when the wheel cannot be downloaded.
    """
    import pandas as pd

    wheel, data, label = resolve_wheel(where, _meta_path(meta, MOLECULEACE_META))
    sets = data.get("datasets", {})
    if dataset not in sets:
        raise ValueError(f"{label}: dataset {dataset!r} not pinned; pinned: {sorted(sets)}")
    member = sets[dataset]["member"]
    df = pd.read_csv(
        io.BytesIO(read_pinned_member(wheel, member, sets[dataset].get("sha256"), label))
    )
    missing = [c for c in ("smiles", "exp_mean [nM]", "split") if c not in df.columns]
    if missing:
        raise ValueError(f"{wheel.name}:{member}: lacks columns {missing}; has {list(df.columns)}")
    df["pk"] = 9.0 - np.log10(df["exp_mean [nM]"].astype(float))
    return df


@dataclass
class MoleculeAceJudge:
    """Random forest (scikit-learn) on ``fingerprint`` features, trained on a MoleculeACE
    set's train split with actives = pK >= ``pk_threshold``; ``metrics`` on its test split
    (``roc_auc``, ``accuracy``, counts)."""

    model: Any
    dataset: str
    pk_threshold: float
    fingerprint: str = "ecfp4_counts"
    metrics: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_wheel(
        cls,
        where: str | Path | None = None,
        meta: dict | str | Path | None = None,
        dataset: str = "CHEMBL262_Ki",
        pk_threshold: float = 7.0,
        n_estimators: int = 500,
        seed: int = 0,
        fingerprint: str = "ecfp4_counts",
    ) -> MoleculeAceJudge:
        """Train on the pinned MoleculeACE set (see :func:`read_moleculeace`); deterministic
        for a given ``seed``. Raises ValueError when a split lacks one class or holds
        unparsable SMILES."""
        from sklearn.ensemble import RandomForestClassifier
        from sklearn.metrics import accuracy_score, roc_auc_score

        df = read_moleculeace(where, meta, dataset)
        parts = {}
        for split in ("train", "test"):
            sub = df[df["split"] == split]
            x, invalid = featurize(sub["smiles"].tolist(), fingerprint)
            if invalid.any():
                raise ValueError(f"{dataset}: {invalid.sum()} unparsable SMILES in {split}")
            y = (sub["pk"].to_numpy() >= pk_threshold).astype(int)
            if len(set(y)) < 2:
                raise ValueError(f"{dataset}: {split} split has one class at pK >= {pk_threshold}")
            parts[split] = (x, y)
        model = RandomForestClassifier(n_estimators=n_estimators, random_state=seed, n_jobs=1)
        model.fit(*parts["train"])
        x_test, y_test = parts["test"]
        p_test = model.predict_proba(x_test)[:, 1]
        metrics = {
            "roc_auc": float(roc_auc_score(y_test, p_test)),
            "accuracy": float(accuracy_score(y_test, p_test >= 0.5)),
            "n_train": len(parts["train"][1]),
            "n_test": len(y_test),
            "active_fraction_train": float(parts["train"][1].mean()),
            "active_fraction_test": float(y_test.mean()),
        }
        log.info("MoleculeACE judge %s (pK >= %s): %s", dataset, pk_threshold, metrics)
        return cls(model, dataset, pk_threshold, fingerprint, metrics)

    def predict(self, smiles: Sequence[str]) -> np.ndarray:
        """(n,) float64 P(active), NaN for invalid SMILES."""
        x, invalid = featurize(list(smiles), self.fingerprint)
        out = np.full(len(invalid), np.nan)
        if len(x):
            out[~invalid] = self.model.predict_proba(x)[:, 1]
        return out

    def labels(self, smiles: Sequence[str], threshold: float = 0.5) -> np.ndarray:
        """(n,) float64: 1.0 where P(active) >= ``threshold``, else 0.0; NaN when invalid."""
        return _threshold(self.predict(smiles), threshold)
