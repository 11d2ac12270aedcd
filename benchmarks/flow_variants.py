"""Flow variants side by side on one experiment's latents, judge and requests (the decision
table of the flow's default).

Reads what a workflow run left in ``results/<exp>/`` (latents, decoder, judge, test images),
trains each variant (``VARIANTS``: PluGeN's couplings, size, training data and budget, and the
latent rivals) on the same train/val rows and labels, answers the experiment's ``generation``,
``manipulation`` and ``flip`` requests (same seed, same temperature), decodes, judges and scores
them with the workflow's own functions, and prints one row per variant: held-out and seen pair
accuracy, generation F1 and AUC, flips, FID of each image set (judge features), training
seconds, stopping epoch and validation NLL. A molecule experiment reports validity, the
unconditional properties (SAS, logP, TPSA) and the targets reached instead.

Usage: python benchmarks/flow_variants.py --exp shapes_vae [--variants a,b] [--configfile F]
       [--temperature 0.5] [--threads 1]   (run the workflow for <exp> first)
"""

from __future__ import annotations

import argparse
import logging
import time

import numpy as np
import pandas as pd
import torch

from plugen import PluGeN, experiments, io, tasks
from plugen.backbones import image_decoder
from plugen.baselines import BASELINES
from plugen.config import read_yaml, validate_config
from plugen.evaluate.classifier import AttributeClassifier
from plugen.evaluate.fid import ClassifierFeatures, fid
from plugen.evaluate.judge import load_judge
from plugen.labelling import training_labels
from plugen.model import flow_settings

# name -> (method, constructor settings, fit settings, trains on posterior samples); settings
# override the experiment's configured flow (PluGeN) or rival (cFlow)
CONVERGE = {"epochs": 400, "lr_schedule": "plateau", "patience": 15}
DEFAULT_FLOW = {"coupling": "nice", "n_couplings": 6, "n_layers": 4, "hidden": 256, "sigma": 0.4}
VARIANTS: dict[str, tuple[str, dict, dict, bool]] = {
    "nice-means": ("plugen", {}, {}, False),
    "nice-posterior": ("plugen", {}, {}, True),
    "nice-posterior-converged": ("plugen", {}, CONVERGE, True),
    "nice-scaling-posterior": ("plugen", {"scaling": True}, {}, True),
    "affine-posterior": ("plugen", {"coupling": "affine"}, {}, True),
    "affine-posterior-converged": ("plugen", {"coupling": "affine"}, CONVERGE, True),
    "nice-means-converged": ("plugen", {}, CONVERGE, False),
    "library-default": ("plugen", DEFAULT_FLOW, CONVERGE, True),
    "nice512-posterior": ("plugen", {"hidden": 512, "n_couplings": 6}, {}, True),
    "nice512-posterior-converged": ("plugen", {"hidden": 512, "n_couplings": 6}, CONVERGE, True),
    "cflow-means": ("cflow", {}, {}, False),
    "cflow-posterior": ("cflow", {}, {}, True),
    "cnice-posterior": ("cnice", {}, {}, True),
}


def fit_variant(name: str, z, z_std, keep, y, config: dict, exp: str):
    """Train one variant on the experiment's training rows; returns (model, row with its
    training figures). A posterior variant on latents without a spread trains on the latents."""
    method, extra_build, extra_fit, on_posterior = VARIANTS[name]
    kinds = experiments.get(exp).attributes(config)
    cfg, seed = config[exp], config["seed"]
    if on_posterior and z_std is None:
        logging.getLogger(name).info("no posterior spread in the latents: training on them")
    spread = z_std[keep] if on_posterior and z_std is not None else None
    if method == "plugen":
        build = {**flow_settings(cfg["flow"]), **extra_build}
        model = PluGeN(z.shape[1], list(kinds), kinds, **build)
        fit_kw = {**cfg["flow"]["train"], **extra_fit}
    else:
        rival = experiments.rival_settings(config, exp, method)
        build = {k: v for k, v in rival.items() if k != "train"}
        model = BASELINES[method](z.shape[1], list(kinds), kinds, **build)
        fit_kw = {**rival.get("train", {}), **extra_fit}
        fit_kw.pop("max_samples", None)
    start = time.perf_counter()
    log = logging.getLogger(name)
    history = model.fit(z[keep], y, z_std=spread, seed=seed, logger=log, **fit_kw)
    best = min(history, key=lambda r: r.get("val_loss", np.inf))
    row = {
        "variant": name,
        "train_s": round(time.perf_counter() - start, 1),
        "epochs": len(history),
        "best_epoch": best["epoch"],
        "val_nll": best.get("val_loss", np.nan),
    }
    return model, row


def molecules(args, config, spec, z, z_std, keep, y) -> None:
    """Molecule experiments: the configured targeted and unconditional generation, decoded by
    the experiment's CharVAE and measured with RDKit (``score_generation`` of
    plugen.experiments.molecules.tasks)."""
    from plugen.experiments.molecules.charvae import CharVAE
    from plugen.experiments.molecules.chem import property_frame
    from plugen.experiments.molecules.tasks import generation_requests, score_generation

    cfg, seed = config[args.exp], config["seed"]
    backbone = spec.backbone_file(config) or experiments.results_path(
        args.exp, "models", "charvae.pt"
    )
    vae = CharVAE.load(backbone)
    data, _ = io.read_table(
        experiments.results_path(args.exp, "data", "dataset.parquet"), io.DATASET
    )
    gen = cfg["generation"]
    requests = generation_requests(gen["targets"], gen["n_per_target"], gen["unconditional"])
    rows = []
    for name in args.variants.split(","):
        model, row = fit_variant(name, z, z_std, keep, y, config, args.exp)
        temperature = args.temperature if args.temperature is not None else gen["temperature"]
        zs = tasks.run_requests(model, requests, None, temperature, seed)
        samples = requests.assign(smiles=vae.decode_latents(zs))
        table = score_generation(samples, property_frame(samples["smiles"].tolist()), data)
        uncond = table[table["group"] == "unconditional"].set_index("property")
        row["validity"] = float(table["validity"].mean())
        row.update({f"uncond_{p}": float(uncond.loc[p, "mean"]) for p in uncond.index})
        targeted = table[table["group"] != "unconditional"]
        row["mean_target_shift"] = float(targeted["target_shift"].mean())
        row["targets_reached"] = int((targeted["target_shift"] >= 0.8).sum())
        rows.append(row)
        print(pd.DataFrame([row]).to_string(index=False, float_format="%.3f"), flush=True)
    print(pd.DataFrame(rows).to_markdown(index=False, floatfmt=".3f"))
    if args.out:
        pd.DataFrame(rows).to_csv(args.out, index=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--exp", default="shapes_vae")
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--configfile", default="config/config.yaml")
    ap.add_argument("--temperature", type=float, default=None)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=None, help="also write the table as csv")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    config = validate_config(read_yaml(args.configfile))
    spec = experiments.get(args.exp)
    cfg, seed = config[args.exp], config["seed"]
    kinds = spec.attributes(config)
    binary = [a for a in spec.judged(config) if kinds[a] == "binary"]
    df, z, z_std = io.read_latents(experiments.results_path(args.exp, "latents.parquet"))
    labels = df[list(kinds)].to_numpy(np.float32)
    keep, y = training_labels(df["split"].to_numpy(), labels, cfg["flow"]["label_fraction"], seed)
    if spec.payload == "smiles":
        return molecules(args, config, spec, z, z_std, keep, y)
    task_list = [
        t for t in spec.judged_tasks(config) if t in ("generation", "manipulation", "flip")
    ]
    sources_of = {}
    for task in task_list:
        frame, zt = io.read_table(
            experiments.results_path(args.exp, spec.task_source(task)), io.LATENTS
        )
        test = (frame["split"] == "test").to_numpy()
        sources = frame[test].reset_index(drop=True)
        sources_of[task] = (sources, dict(zip(sources["id"], zt[test])))
    decode = image_decoder(spec.decoder(config).as_dict())
    judge_cfg = spec.judge(config).as_dict()
    judge = load_judge(judge_cfg, kinds)
    features = ClassifierFeatures(AttributeClassifier.load(judge_cfg["path"]))
    real = io.split_images(spec.real_images(config), "test")
    rows = []
    for name in args.variants.split(","):
        model, row = fit_variant(name, z, z_std, keep, y, config, args.exp)
        method = VARIANTS[name][0]
        for task in task_list:
            sources, source_z = sources_of[task]
            labels_of = (
                None if method == "plugen" else tasks.source_labels(sources, model.attributes)
            )
            task_cfg = cfg["tasks"][task]
            temperature = (
                args.temperature
                if args.temperature is not None
                else task_cfg.get("temperature", 1.0)
            )
            requests = tasks.build_requests(task, task_cfg, sources, kinds, seed)
            zs = tasks.run_requests(model, requests, source_z, temperature, seed, labels_of)
            images = decode(zs)
            scores = judge(images)
            scores.insert(0, "sample_id", requests["sample_id"].to_numpy())
            table = tasks.score_task(task, requests, scores, sources, binary, spec.heldout(config))
            if task == "generation":
                mean = table[table["attribute"] == "mean"].iloc[0]
                row["gen_f1"], row["gen_auc"] = mean["f1"], mean["auc"]
            elif task == "manipulation":
                overall = table[table["pair"] == "all"].set_index("combination")
                row["heldout_pairs"] = overall["pair_accuracy"].get("held-out", np.nan)
                row["seen_pairs"] = overall["pair_accuracy"].get("seen", np.nan)
                row["preserved"] = overall["preserved"].mean()
            else:
                mean = table[table["attribute"] == "mean"].iloc[0]
                row["flip"], row["flip_preserved"] = mean["accuracy"], mean["preserved"]
            if task in spec.fid_sets(config):
                row[f"fid_{task}"] = fid(real, images, features)
        rows.append(row)
        print(pd.DataFrame([row]).to_string(index=False, float_format="%.3f"), flush=True)
    table = pd.DataFrame(rows)
    print(table.to_markdown(index=False, floatfmt=".3f"))
    if args.out:
        table.to_csv(args.out, index=False)


if __name__ == "__main__":
    main()
