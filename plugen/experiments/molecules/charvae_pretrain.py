"""Pretraining recipe of the molecule backbone: a :class:`CharVAE` on a large SMILES corpus.

A recipe (``config/pretrain/<name>.yaml``) names the corpus size, the architecture and the
training schedule; a second-stage recipe starts from the weights of a first (``init``, a model
file) and raises the KL weight from where that one ended (``kl_anneal_from``).
:func:`pretrain` encodes the corpus once (cached beside the model), trains with
:func:`plugen.experiments.molecules.charvae.fit_charvae_ids` in epochs of ``train.epoch_examples``
molecules and keeps a resumable training state (``<model>.resume``) after every epoch, so a
run that is killed continues where it stopped. :func:`export_best` turns the best weights of
an unfinished run into a model file. Run as
``python -m plugen.experiments.molecules.charvae_pretrain RECIPE --csv CSV --out MODEL``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import torch

from plugen.checkpoint import load_checkpoint, save_checkpoint
from plugen.experiments.molecules.charvae import (
    SPECIALS,
    CharVAE,
    CharVAEConfig,
    Vocabulary,
    charvae_report,
    fit_charvae_ids,
)
from plugen.runtime import progress
from plugen.train import STATE_FORMAT, STATE_VERSION, History, TrainConfig

log = logging.getLogger(__name__)

CORPUS_FORMAT = "plugen-charvae-corpus"
CORPUS_VERSION = 1
_SECTIONS = {"data", "model", "train", "kl_anneal_epochs", "kl_anneal_from", "init", "seed"}
_DATA_KEYS = {"n_train", "n_val", "max_chars"}


def check_recipe(recipe: dict[str, Any], where: str = "recipe") -> dict[str, Any]:
    """The recipe with its sections checked: unknown keys and missing sections are ValueErrors
    naming ``where`` and the key. Returns the recipe unchanged."""
    unknown = set(recipe) - _SECTIONS
    if unknown or not {"data", "model", "train"} <= set(recipe):
        raise ValueError(f"{where}: expected sections {sorted(_SECTIONS)}, got {sorted(recipe)}")
    allowed = {
        "data": _DATA_KEYS,
        "model": {f.name for f in fields(CharVAEConfig)},
        "train": {f.name for f in fields(TrainConfig)} - {"checkpoint", "progress"},
    }
    for section, keys in allowed.items():
        bad = set(recipe[section] or {}) - keys
        if bad:
            raise ValueError(f"{where}: {section}.{sorted(bad)[0]} is not a known key")
    init = recipe.get("init")
    if init is not None and not isinstance(init, str):
        raise ValueError(f"{where}: init must be the path of a CharVAE model file, got {init!r}")
    missing = _DATA_KEYS - {"max_chars"} - set(recipe["data"])
    if missing:
        raise ValueError(f"{where}: data.{sorted(missing)[0]} is missing")
    return recipe


def read_recipe(path: str | Path) -> dict[str, Any]:
    """A recipe YAML file, checked (:func:`check_recipe`)."""
    from plugen.config import read_yaml

    return check_recipe(read_yaml(path), str(path))


def _corpus_key(recipe: dict[str, Any], csv: Path) -> str:
    wanted = {"data": recipe["data"], "seed": recipe.get("seed", 0)}
    wanted["representation"] = recipe["model"].get("representation", "smiles")
    wanted["csv"] = [csv.name, csv.stat().st_size]
    return hashlib.sha256(json.dumps(wanted, sort_keys=True).encode()).hexdigest()


def prepare_corpus(
    recipe: dict[str, Any], csv: str | Path, cache: str | Path
) -> tuple[Vocabulary, torch.Tensor, torch.Tensor]:
    """Seeded train/validation molecules of ``csv`` as token ids, cached in ``cache``.

    The first ``data.n_val`` molecules of a seeded permutation validate, the next
    ``data.n_train`` train. Returns (vocabulary, train ids ``(n_train, L)``, val ids
    ``(n_val, L)``); a cache written for another recipe or csv is rebuilt.
    """
    from plugen.experiments.molecules.data import read_smiles_csv

    csv, cache = Path(csv), Path(cache)
    key = _corpus_key(recipe, csv)
    if cache.exists():
        state = load_checkpoint(cache, CORPUS_FORMAT, CORPUS_VERSION, "corpus")
        if state["key"] == key:
            vocab = Vocabulary(state["vocab"], state["representation"])
            return vocab, state["train"], state["val"]
        log.warning("%s: corpus of another recipe or csv; rebuilding", cache)
    data, seed = recipe["data"], recipe.get("seed", 0)
    smiles = read_smiles_csv(csv, max_length=data.get("max_chars")).smiles
    need = data["n_val"] + data["n_train"]
    if need > len(smiles):
        raise ValueError(f"{csv}: {len(smiles)} molecules, the recipe asks for {need}")
    order = np.random.default_rng(seed).permutation(len(smiles))[:need]
    chosen = [smiles[i] for i in order]
    representation = recipe["model"].get("representation", "smiles")
    probe = Vocabulary(SPECIALS, representation)
    texts = [probe.to_text(s) for s in progress(chosen, len(chosen), True, "converting")]
    kept = [t for t in texts if t]
    if len(kept) < len(chosen):
        log.warning(
            "%d molecules could not be written as %s; skipped",
            len(chosen) - len(kept),
            representation,
        )
    vocab = Vocabulary.build(kept, representation, converted=True)
    ids = vocab.encode(kept, converted=True)
    n_val = min(data["n_val"], len(kept) // 10)
    val, train_ids = ids[:n_val], ids[n_val:]
    save_checkpoint(
        cache,
        CORPUS_FORMAT,
        CORPUS_VERSION,
        key=key,
        vocab=vocab.tokens,
        representation=representation,
        train=train_ids,
        val=val,
    )
    log.info("corpus: %d train, %d val molecules, %d tokens", len(train_ids), len(val), len(vocab))
    return vocab, train_ids, val


def _model_kwargs(recipe: dict[str, Any], vocab: Vocabulary, ids: torch.Tensor) -> dict:
    kwargs = dict(recipe["model"])
    kwargs["representation"] = vocab.representation
    kwargs.setdefault("max_len", ids.shape[1] - 1)
    return kwargs


def pretrain(
    recipe: dict[str, Any],
    csv: str | Path,
    out: str | Path,
    device: torch.device | str = "cpu",
    progress_bars: bool = True,
    corpus: str | Path | None = None,
) -> tuple[CharVAE, History]:
    """Train the recipe's CharVAE on ``csv`` and write it to ``out`` (+ ``<out>.history.json``).

    Beside ``out``: ``<out>.resume`` (the training state after every epoch, deleted when the
    run ends) and the encoded corpus, kept (``corpus``, default ``<out>.corpus``; a first
    stage's can be shared). Returns (model, history).
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    vocab, train_ids, val_ids = prepare_corpus(recipe, csv, corpus or f"{out}.corpus")
    cfg = TrainConfig.from_section(
        recipe["train"], recipe.get("seed", 0), checkpoint=f"{out}.resume", progress=progress_bars
    )
    model, history = fit_charvae_ids(
        vocab,
        train_ids,
        val_ids,
        cfg,
        _model_kwargs(recipe, vocab, train_ids),
        device,
        kl_anneal_epochs=recipe.get("kl_anneal_epochs", 1.0),
        kl_anneal_from=recipe.get("kl_anneal_from", 0.0),
        init=recipe.get("init"),
        history=History("charvae", log),
    )
    model.save(out)
    Path(f"{out}.history.json").write_text(json.dumps(history.rows, indent=1))
    Path(f"{out}.resume").unlink(missing_ok=True)
    return model, history


def export_best(
    recipe: dict[str, Any],
    csv: str | Path,
    run: str | Path,
    out: str | Path,
    corpus: str | Path | None = None,
) -> CharVAE:
    """The best weights so far of the unfinished run writing ``run`` (its ``<run>.resume``
    and its corpus, default ``<run>.corpus``) saved as a model file ``out``. Raises
    FileNotFoundError when the run has no training state yet."""
    state_path = Path(f"{run}.resume")
    if not state_path.exists():
        raise FileNotFoundError(f"{state_path}: no training state to export")
    vocab, train_ids, _ = prepare_corpus(recipe, csv, corpus or f"{run}.corpus")
    state = load_checkpoint(state_path, STATE_FORMAT, STATE_VERSION, "training-state")
    model = CharVAE(vocab, CharVAEConfig(**_model_kwargs(recipe, vocab, train_ids)))
    model.load_state_dict(state["best_state"])
    model.save(out)
    Path(f"{out}.history.json").write_text(json.dumps(state["history"], indent=1))
    return model.eval()


def main(argv: list[str] | None = None) -> None:
    """Command line: pretrain (default) or ``--export`` the best weights of a running job."""
    parser = argparse.ArgumentParser(prog="python -m plugen.experiments.molecules.charvae_pretrain")
    parser.add_argument("recipe", help="config/pretrain/<name>.yaml")
    parser.add_argument("--csv", required=True, help="SMILES csv (the MOSES training set)")
    parser.add_argument("--out", required=True, help="model file to write")
    parser.add_argument("--corpus", help="encoded corpus cache (default: <out>.corpus)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--export", metavar="MODEL", help="write the run's best weights here")
    parser.add_argument(
        "--report",
        type=int,
        metavar="N",
        help="with --export: N held-out molecules' reconstruction and prior validity",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(args.threads)
    recipe = read_recipe(args.recipe)
    if args.export:
        model = export_best(recipe, args.csv, args.out, args.export, args.corpus)
        if args.report:
            from plugen.experiments.molecules.data import read_smiles_csv

            smiles = read_smiles_csv(args.csv, limit=args.report, seed=12345).smiles
            print(json.dumps(charvae_report(model, smiles, n_prior=args.report)))
        return
    pretrain(recipe, args.csv, args.out, args.device, corpus=args.corpus)


if __name__ == "__main__":
    main()
