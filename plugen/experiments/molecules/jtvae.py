"""The JT-VAE as the molecule experiment's backbone (``molecules.backbone.kind: jtvae``).

The networks and the published ZINC weights are :mod:`plugen.backbones.jtvae` (Jin, Barzilay &
Jaakkola, ICML 2018; the pinned ``jtnnencoder`` wheel). This module adapts them to the
experiment: the wheel copied into the run (:func:`fetch_jtvae_wheel`), which molecules the
JT-VAE can encode (:func:`not_encodable`: the data set rule counts and drops the others),
encoding and decoding in a process pool (:class:`JTVAEBackbone`, greedy decoding runs at about
10 molecules/s per core) and the backbone table (:func:`jtvae_report`).
"""

from __future__ import annotations

import logging
import multiprocessing
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from plugen.experiments.molecules.backbone import MoleculeBackbone
from plugen.wheels import fetch_wheel, load_wheel_meta

log = logging.getLogger(__name__)

KIND = "jtvae"
#: reasons a molecule cannot be encoded (the JT-VAE's Encoding.skipped kinds)
INVALID, OUT_OF_VOCABULARY = "invalid", "out_of_vocabulary"


def wheel_meta_path() -> Path:
    """The pin of the ``jtnnencoder`` wheel (``plugen/backbones/jtvae/jtvae_wheel.json``)."""
    from plugen.backbones.jtvae.weights import WHEEL_META

    return Path(str(WHEEL_META))


def wheel_name(meta: dict | str | Path | None = None) -> str:
    """File name of the pinned wheel (what the DAG's fetch rule writes)."""
    data, _ = load_wheel_meta(wheel_meta_path() if meta is None else meta)
    return data["filename"]


# --------------------------------------------------------------------------- the wheel
def fetch_jtvae_wheel(
    dest: str | Path, meta: dict | str | Path | None = None, cache: str | Path | None = None
) -> Path:
    """Put the pinned JT-VAE wheel at ``dest`` (a path whose name is the pin's ``filename``).

    A copy in ``cache`` (default: the library's wheel folder, ``$PLUGEN_WHEEL_DIR`` or
    ``~/.cache/plugen/wheels``) whose sha256 matches the pin is copied; otherwise
    :func:`plugen.wheels.fetch_wheel` downloads it (``pip download --no-deps``) into ``dest``'s
    folder. The result is always hash-checked. Raises ValueError when ``dest`` is not named as
    the pin or the hash differs, RuntimeError when pip fails (no network).
    """
    from plugen.digest import file_sha256
    from plugen.wheels import DEFAULT_WHEEL_DIR

    meta = wheel_meta_path() if meta is None else meta
    data, label = load_wheel_meta(meta)
    dest = Path(dest)
    if dest.name != data["filename"]:
        raise ValueError(f"{dest}: the wheel must be named {data['filename']} ({label})")
    cached = Path(DEFAULT_WHEEL_DIR if cache is None else cache) / data["filename"]
    if not dest.is_file() and cached.is_file() and cached.resolve() != dest.resolve():
        if file_sha256(cached) == str(data["sha256"]).lower():
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_name(dest.name + ".tmp")
            shutil.copyfile(cached, tmp)
            tmp.replace(dest)
            log.info("copied %s from %s", data["filename"], cached.parent)
        else:
            log.warning("%s: sha256 differs from %s; downloading instead", cached, label)
    return fetch_wheel(meta, dest.parent)


# --------------------------------------------------------------------------- process pool
_SHARED: dict[str, Any] = {}  # what forked_map's workers call, inherited through the fork


def _one_thread() -> None:
    import signal

    import torch

    torch.set_num_threads(1)  # as torch's DataLoader workers do after a fork
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the job's handler: terminate kills


def _call(item: Any) -> Any:
    return _SHARED["target"](item)


def forked_map(target: Callable[[Any], Any], items: Sequence[Any], processes: int = 1) -> list:
    """``[target(item) for item in items]`` over a pool of ``processes`` forked workers (one
    torch thread each) that inherit ``target`` (a function or a bound method: the model is not
    pickled, only the items and the results); in this process when ``processes`` is 1, there
    is at most one item, or the platform cannot fork. Order is kept."""
    items = list(items)
    if processes <= 1 or len(items) <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [target(item) for item in items]
    if _SHARED:
        raise RuntimeError("forked_map does not nest")
    _SHARED["target"] = target
    try:
        ctx = multiprocessing.get_context("fork")
        pool = ctx.Pool(min(processes, len(items)), initializer=_one_thread)
        try:
            results = pool.map(_call, items, chunksize=1)
        except BaseException:
            pool.terminate()
            raise
        # close and join (each worker takes its stop sentinel and exits), not terminate: the
        # workers inherit the job's signal handlers, and a worker that outlives SIGTERM while
        # waiting on the task queue leaves terminate's join waiting forever
        pool.close()
        pool.join()
        return results
    finally:
        _SHARED.clear()


def chunks(n: int, processes: int, per_process: int = 4, largest: int = 256) -> list[slice]:
    """Slices covering ``range(n)`` in order: about ``per_process`` per process (so that slow
    molecules even out), at most ``largest`` long."""
    if n <= 0:
        return []
    size = max(1, min(largest, -(-n // (max(1, processes) * per_process))))
    return [slice(i, min(i + size, n)) for i in range(0, n, size)]


# --------------------------------------------------------------------------- encodability
_VOCAB: list[Any] = [None]  # the vocabulary the forked workers of not_encodable read


def _problems_chunk(smiles: Sequence[str]) -> list[tuple[str, str] | None]:
    from rdkit import Chem, rdBase

    from plugen.backbones.jtvae.chem import JunctionTree, OutOfVocabulary

    vocab = _VOCAB[0]
    out: list[tuple[str, str] | None] = []
    for s in smiles:
        with rdBase.BlockLogs():
            mol = Chem.MolFromSmiles(s) if isinstance(s, str) and s else None
            if mol is None:
                out.append((INVALID, f"{s!r}: not a valid SMILES"))
                continue
            try:
                JunctionTree.from_smiles(Chem.MolToSmiles(mol), vocab)
                out.append(None)
            except OutOfVocabulary as err:
                out.append((OUT_OF_VOCABULARY, str(err)))
            except ValueError as err:
                out.append((INVALID, str(err)))
    return out


def not_encodable(smiles: Sequence[str], vocab, processes: int = 1) -> dict[int, tuple[str, str]]:
    """The molecules of ``smiles`` the JT-VAE cannot encode: index -> (kind, reason).

    ``kind`` is ``out_of_vocabulary`` (a cluster of its junction tree is not one of the
    vocabulary's words) or ``invalid`` (unparsable, not kekulizable, several fragments): the
    test :meth:`plugen.backbones.jtvae.JTVAE.encode` makes (SMILES canonicalized first), without
    the networks. ``processes`` > 1 splits the work over forked workers.
    """
    smiles = list(smiles)
    parts = [smiles[p] for p in chunks(len(smiles), processes, per_process=8, largest=2048)]
    _VOCAB[0] = vocab
    try:
        results = forked_map(_problems_chunk, parts, processes)
    finally:
        _VOCAB[0] = None
    flat = [r for part in results for r in part]
    return {i: r for i, r in enumerate(flat) if r is not None}


# --------------------------------------------------------------------------- the backbone
class JTVAEBackbone(MoleculeBackbone):
    """:class:`plugen.backbones.jtvae.JTVAE` encoding and greedy decoding over ``processes``
    forked workers (the results do not depend on ``processes``)."""

    kind = KIND

    def __init__(self, model, processes: int = 1) -> None:
        super().__init__()
        self.model, self.processes = model, max(1, int(processes))
        self.latent_dim = model.latent

    @classmethod
    def load(cls, wheel: str | Path, processes: int = 1) -> JTVAEBackbone:
        """The published weights out of the pinned wheel file ``wheel`` (hash-checked)."""
        from plugen.backbones.jtvae import load_jtvae

        return cls(load_jtvae(wheel), processes)

    def _encode_chunk(self, smiles: list[str]) -> tuple[np.ndarray, np.ndarray, dict[int, str]]:
        enc = self.model.encode(smiles, strict=False)
        return enc.mean.numpy(), enc.log_var.numpy(), enc.errors

    def posterior(self, smiles: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and ``exp(log_var / 2)``, float32 ``(n, 56)``. Raises ValueError (one
        line, the first five with their reasons) when some SMILES cannot be encoded: the data
        set rule leaves those out, so a run never meets one here."""
        smiles = list(smiles)
        parts = chunks(len(smiles), self.processes, per_process=4, largest=1024)
        start = time.perf_counter()
        results = forked_map(self._encode_chunk, [smiles[p] for p in parts], self.processes)
        seconds = time.perf_counter() - start
        errors = {p.start + i: why for p, (_, _, e) in zip(parts, results) for i, why in e.items()}
        if errors:
            shown = "; ".join(f"{smiles[i]!r}: {why}" for i, why in list(errors.items())[:5])
            raise ValueError(
                f"the JT-VAE cannot encode {len(errors)} of {len(smiles)} molecules: {shown}"
            )
        dim = self.latent_dim
        mean = np.concatenate([r[0] for r in results]) if results else np.zeros((0, dim))
        log_var = np.concatenate([r[1] for r in results]) if results else np.zeros((0, dim))
        log.info(
            "jtvae: encoded %d molecules in %.1f s (%.1f molecules/s, %d process(es))",
            len(smiles),
            seconds,
            len(smiles) / max(seconds, 1e-9),
            self.processes,
        )
        return mean.astype(np.float32), np.exp(log_var / 2).astype(np.float32)

    def _decode_chunk(self, z: np.ndarray) -> list[str]:
        return [s or "" for s in self.model.decode(z)]

    def _decode(self, z: np.ndarray) -> list[str]:
        parts = chunks(len(z), self.processes, per_process=4, largest=64)
        results = forked_map(self._decode_chunk, [z[p] for p in parts], self.processes)
        return [s for part in results for s in part]


def same_molecule(decoded: str, original: str) -> bool:
    """Whether ``decoded`` is the molecule ``original`` (canonical SMILES). The JT-VAE always
    writes a stereoisomer, so an ``original`` given without stereochemistry (MOSES has none)
    matches any stereoisomer of its graph; one given with stereochemistry must match it."""
    from rdkit import Chem

    from plugen.experiments.molecules.data import mol_from_smiles

    a, b = mol_from_smiles(decoded), mol_from_smiles(original)
    if a is None or b is None:
        return False
    want = Chem.MolToSmiles(b)
    if Chem.MolToSmiles(a) == want:
        return True
    flat = Chem.MolToSmiles(b, isomericSmiles=False)
    return flat == want and Chem.MolToSmiles(a, isomericSmiles=False) == flat


def jtvae_report(
    backbone: JTVAEBackbone, test_smiles: Sequence[str], n_prior: int, seed: int = 0
) -> dict[str, float]:
    """Backbone quality on held-out molecules and prior samples (one decode call for both).

    ``reconstruction_accuracy``: share of ``test_smiles`` whose greedy decoding of the
    posterior mean is the same molecule (:func:`same_molecule`: stereochemistry counts only
    where the original has it); ``reconstruction_validity`` and
    ``reconstruction_corr_<p>`` (Pearson over the valid ones) compare those reconstructions'
    RDKit properties with the originals'; ``prior_validity`` and ``prior_uniqueness``:
    ``n_prior`` decodings of z ~ N(0, I) (seeded).
    """
    from plugen.experiments.molecules.chem import property_frame, uniqueness, validity
    from plugen.experiments.molecules.data import PROPERTIES

    test = list(test_smiles)
    z_test = backbone.encode(test)
    z_prior = np.random.default_rng(seed).standard_normal((n_prior, backbone.latent_dim))
    decoded = backbone.decode(np.concatenate([z_test, z_prior]), what="backbone report")
    recon, prior = decoded[: len(test)], decoded[len(test) :]
    same = [same_molecule(a, b) for a, b in zip(recon, test)]
    row: dict[str, float] = {
        "n_eval": len(test),
        "reconstruction_accuracy": float(np.mean(same)) if test else float("nan"),
    }
    before, after = property_frame(test), property_frame(recon)
    ok = after["valid"].to_numpy() & before["valid"].to_numpy()
    row["reconstruction_validity"] = float(after["valid"].mean()) if test else float("nan")
    for p in PROPERTIES:
        enough = ok.sum() > 2 and np.std(after[p][ok]) > 0 and np.std(before[p][ok]) > 0
        corr = np.corrcoef(before[p][ok], after[p][ok])[0, 1] if enough else np.nan
        row[f"reconstruction_corr_{p}"] = float(corr)
    row["prior_validity"] = validity(prior) if prior else float("nan")
    row["prior_uniqueness"] = uniqueness(prior) if prior else float("nan")
    return row
