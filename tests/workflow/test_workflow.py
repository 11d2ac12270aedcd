"""The real snakemake command on a tiny config, outputs read back through plugen.io."""

import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from plugen import io
from tests.paths import ROOT, TINY


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, snakemake):
    work = tmp_path_factory.mktemp("wf")
    shutil.copy(TINY, work / "tiny.yaml")
    snakemake(work, "--configfile", "tiny.yaml")
    return work


@pytest.mark.slow
def test_every_output_matches_its_contract(tiny_run):
    res = tiny_run / "results" / "shapes_vae"
    df, _ = io.read_table(tiny_run / "results/shapes/data/dataset.parquet", io.DATASET)
    assert set(df["split"]) == {"pretrain", "train", "val", "test"}
    lat, z = io.read_table(res / "latents.parquet", io.LATENTS)
    assert z.shape == (len(lat), 16) and "pretrain" not in set(lat["split"])
    for task in ("generation", "manipulation", "gradual"):
        samples, zs = io.read_table(res / "samples" / f"{task}.parquet", io.SAMPLES)
        assert zs.shape == (len(samples), 16)
        assert all((res / "samples" / p).exists() for p in samples["image_path"])
        scores, _ = io.read_table(res / "scores" / f"{task}.parquet", io.SCORES)
        assert list(scores["sample_id"]) == list(samples["sample_id"])
    gen, _ = io.read_table(res / "samples" / "generation.parquet", io.SAMPLES)
    assert gen["group"].nunique() == 32  # every combination of 5 binary attributes
    for name in (
        "shapes/history/classifier",
        "shapes_vae/history/vae",
        "shapes_vae/history/plugin",
    ):
        hist, _ = io.read_table(tiny_run / "results" / f"{name}.parquet", io.HISTORY)
        assert len(hist) >= 1 and hist["train_loss"].notna().all()
    for m in ("plugen", "latent"):
        cf, zc = io.read_table(res / "counterfactuals" / f"{m}.parquet", io.COUNTERFACTUALS)
        assert len(cf) == 12 and zc.shape == (12, 16)


@pytest.mark.slow
def test_metrics_are_real_numbers_in_range(tiny_run):
    res = tiny_run / "results" / "shapes_vae" / "metrics"
    gen, _ = io.read_table(res / "generation.parquet", io.METRICS)
    man, _ = io.read_table(res / "manipulation.parquet", io.METRICS)
    grad, _ = io.read_table(res / "gradual.parquet", io.METRICS)
    fid, _ = io.read_table(res / "fid.parquet", io.METRICS)
    for v in list(gen["accuracy"]) + list(man["pair_accuracy"]):
        assert 0.0 <= v <= 1.0
    assert set(man["combination"]) <= {"seen", "held-out"}
    assert -1.0 <= grad["spearman"].iloc[0] <= 1.0
    assert all(math.isfinite(v) and v >= 0 for v in fid["fid"])
    runs = set(zip(fid["method"], fid["images"]))  # PluGeN's sets and each rival's beside
    assert {("plugen", "reconstruction"), ("cflow", "manipulation")} <= runs
    assert {("plugen", t) for t in ("generation", "manipulation")} <= runs
    assert {("interfacegan", t) for t in ("generation", "manipulation")} <= runs
    summary = (tiny_run / "results" / "summary.md").read_text()
    assert "### manipulation" in summary and "*Paper:*" in summary
    assert (tiny_run / "results/shapes_vae/figures/manipulation.png").exists()


@pytest.mark.slow
def test_inpaint_task_fills_every_mask_with_every_method(tiny_run):
    res = tiny_run / "results" / "shapes_vae"
    for method, k in (("plugen", 2), ("l2", 2), ("encoder", 1), ("harmonic", 1)):
        table, z = io.read_table(res / "inpaint" / f"{method}.parquet", io.INPAINT)
        free = table[table["request"] == ""]
        assert set(free["mask"]) == {"box", "half", "strokes", "full"}
        assert (free[free["mask"] == "box"].groupby("source_id")["k"].nunique() == k).all()
        assert all((res / "inpaint" / p).exists() for p in table["image_path"])
        assert (z is None) == (method == "harmonic")
        requested = table[table["request"] == "ring"]
        assert len(requested) == (8 if method == "plugen" else 0)
    plugen, _ = io.read_table(res / "inpaint" / "plugen.parquet", io.INPAINT)
    flipped = plugen[plugen["request"] == "ring"]
    dataset, _ = io.read_table(tiny_run / "results/shapes/data/dataset.parquet", io.DATASET)
    truth = dataset.set_index("id").loc[flipped["source_id"], "ring"].to_numpy()
    assert (flipped["target_ring"].to_numpy() == 1 - truth).all()
    metrics, _ = io.read_table(res / "metrics" / "inpaint.parquet", io.METRICS)
    assert len(metrics) == 3 * 4 + 1  # 3 masks x 4 methods, plus PluGeN's request
    assert metrics["psnr_hidden"].between(0, 100).all()
    assert metrics["ssim_hidden"].between(-1, 1).all()
    row = metrics.query("method == 'plugen' and request == 'ring'").iloc[0]
    assert 0 <= row["requested_acc"] <= 1 and np.isnan(row["acc_ring"])
    assert metrics.query("method == 'harmonic'")["psnr_observed"].isna().all()
    assert (res / "inpaint_figures" / "inpaint_box_ring.png").exists()
    assert "### inpaint" in (tiny_run / "results" / "summary.md").read_text()


@pytest.mark.slow
def test_shapes_gan_protocol_outputs(tiny_run):
    res = tiny_run / "results" / "shapes_gan"
    lat, z = io.read_table(res / "latents.parquet", io.LATENTS)
    assert z.shape == (400, 8) and (lat["split"] == "test").sum() == 40
    assert {"prob_round", "round", "x_pos"} <= set(lat) and set(lat["round"]) <= {0.0, 1.0}
    inv, zi = io.read_table(res / "inverted.parquet", io.LATENTS)
    assert zi.shape == (6, 8) and {"true_round", "round"} <= set(inv)
    flips, _ = io.read_table(res / "samples" / "flip_real.parquet", io.SAMPLES)
    assert set(flips["source_id"]) <= set(inv["id"])
    metrics = {p.stem: io.read_table(p, io.METRICS)[0] for p in (res / "metrics").glob("*")}
    compare = {f"compare_{t}" for t in ("flip", "flip_real", "generation")}
    tables = {"flip", "flip_real", "generation", "inversion", "fid", "timing", "rivals_training"}
    tables.add("inpaint")
    assert set(metrics) == tables | compare | {"training"}
    # GAN latents are samples: no posterior spread, every latent method trains on the latents
    assert set(metrics["training"]["trained_on"]) == {"latents"}
    for name in ("flip", "flip_real"):
        mean = metrics[name].query("attribute == 'mean'").iloc[0]
        assert 0 <= mean["accuracy"] <= 1 and 0 <= mean["preserved"] <= 1
    plugen_fid = metrics["fid"].query("method == 'plugen'")
    assert set(plugen_fid["images"]) == {"generation", "flip", "flip_real", "inversion"}
    assert 0 <= metrics["inversion"]["mse"].iloc[0] <= 1
    assert (metrics["timing"]["flow_ms_per_image"] > 0).all()
    hist, _ = io.read_table(res / "history" / "gan.parquet", io.HISTORY)
    assert len(hist) == 1 and {"d_loss", "g_loss"} <= set(hist)
    summary = (tiny_run / "results" / "summary.md").read_text()
    assert "## shapes_gan" in summary
    # wall-clock tables go to timings.md, so summary.md is the same bytes for the same config
    timings = (tiny_run / "results" / "timings.md").read_text()
    assert "### timing" in timings and "### rivals_training" in timings
    assert "### timing" not in summary and "### rivals_training" not in summary


@pytest.mark.slow
def test_vae_methods_train_on_the_posterior_and_generation_is_swept(tiny_run):
    res = tiny_run / "results" / "shapes_vae"
    _, z, z_std = io.read_latents(res / "latents.parquet")
    assert z_std.shape == z.shape and (z_std > 0).all()
    training = io.read_table(res / "metrics" / "training.parquet", io.METRICS)[0]
    trained_on = dict(zip(training["method"], training["trained_on"]))
    assert trained_on == {"plugen": "posterior samples", "interfacegan": "posterior samples",
                          "cflow": "posterior samples"}  # fmt: skip
    plugen = training.set_index("method").loc["plugen"]
    assert plugen["best_epoch"] >= 1 and plugen["settings"].startswith("nice 2 x 2 x 32")
    sweep = io.read_table(res / "metrics" / "generation_sweep.parquet", io.METRICS)[0]
    assert list(sweep["temperature"].unique()) == [0.25, 0.5, 0.75, 1.0]
    assert set(sweep["method"]) == {"plugen", "interfacegan", "cflow"}
    assert sweep[["f1", "auc"]].apply(lambda c: c.between(0, 1)).all().all()
    assert (res / "sweep_figures" / "generation_sweep.png").exists()
    summary = (tiny_run / "results" / "summary.md").read_text()
    assert "### training" in summary and "### generation_sweep" in summary


RIVAL_TASKS = {
    "shapes_vae": ("generation", "manipulation", "gradual"),
    "shapes_gan": ("generation", "flip", "flip_real"),
}


@pytest.mark.slow
@pytest.mark.parametrize("exp", list(RIVAL_TASKS))
def test_rivals_answer_the_same_requests_with_the_same_file_contracts(tiny_run, exp):
    res = tiny_run / "results" / exp
    width = {"shapes_vae": 16, "shapes_gan": 8}[exp]
    for method in ("interfacegan", "cflow"):
        run = res / "baselines" / method
        assert (run / "model.pt").is_file()
        hist, _ = io.read_table(run / "history.parquet", io.HISTORY)
        assert len(hist) >= 1
        for task in RIVAL_TASKS[exp]:
            ours, _ = io.read_table(res / "samples" / f"{task}.parquet", io.SAMPLES)
            samples, zs = io.read_table(run / "samples" / f"{task}.parquet", io.SAMPLES)
            assert list(samples["sample_id"]) == list(ours["sample_id"])  # the same requests
            assert zs.shape == (len(samples), width) and np.isfinite(zs).all()
            assert all((run / "samples" / p).exists() for p in samples["image_path"])
            scores, _ = io.read_table(run / "scores" / f"{task}.parquet", io.SCORES)
            assert list(scores["sample_id"]) == list(samples["sample_id"])
            mine, _ = io.read_table(run / "metrics" / f"{task}.parquet", io.METRICS)
            theirs, _ = io.read_table(res / "metrics" / f"{task}.parquet", io.METRICS)
            assert list(mine.columns) == list(theirs.columns)


@pytest.mark.slow
@pytest.mark.parametrize("exp", list(RIVAL_TASKS))
def test_comparison_tables_have_one_row_per_method(tiny_run, exp):
    res = tiny_run / "results" / exp / "metrics"
    for task in RIVAL_TASKS[exp]:
        table, _ = io.read_table(res / f"compare_{task}.parquet", io.METRICS)
        assert list(table["method"]) == ["plugen", "interfacegan", "cflow"], task
    # PluGeN's row is read off its own metrics: mean flip accuracy / mean generation accuracy
    task, cell = ("flip", "average") if exp == "shapes_gan" else ("generation", "accuracy_mean")
    compare, _ = io.read_table(res / f"compare_{task}.parquet", io.METRICS)
    ours, _ = io.read_table(res / f"{task}.parquet", io.METRICS)
    assert compare.loc[0, cell] == ours.loc[ours["attribute"] == "mean", "accuracy"].iloc[0]
    training, _ = io.read_table(res / "rivals_training.parquet", io.METRICS)
    assert list(training["method"]) == ["plugen", "interfacegan", "cflow"]
    assert set(training["stopped"]) <= {"early stop", "epoch cap", "closed form"}
    summary = (tiny_run / "results" / "summary.md").read_text()
    assert f"### compare_{RIVAL_TASKS[exp][1]}" in summary and "*Rivals:*" in summary


@pytest.mark.slow
def test_noop_rerun_schedules_nothing(tiny_run, snakemake):
    proc = snakemake(tiny_run, "--configfile", "tiny.yaml", "-n")
    assert "Nothing to be done" in proc.stdout + proc.stderr


@pytest.mark.slow
def test_changing_temperature_reruns_only_generation_and_what_follows(tiny_run, snakemake):
    cfg = yaml.safe_load(TINY.read_text())
    cfg["shapes_vae"]["tasks"]["generation"]["temperature"] = 0.3
    (tiny_run / "changed.yaml").write_text(yaml.safe_dump(cfg))
    proc = snakemake(tiny_run, "--configfile", "changed.yaml", "-n", "--quiet", "rules")
    out = proc.stdout + proc.stderr
    jobs = {
        line.split()[0]
        for line in out.splitlines()
        if line.strip()
        and line.split()[0]
        in {
            "shapes_dataset",
            "train_classifier",
            "train_vae",
            "extract_latents",
            "train_flow",
            "sample",
            "score",
            "evaluate_task",
            "fid",
            "summary",
        }
    }
    assert {"sample", "score", "evaluate_task", "fid", "summary"} <= jobs
    assert not jobs & {
        "shapes_dataset",
        "train_classifier",
        "train_vae",
        "extract_latents",
        "train_flow",
    }, out[-4000:]


def _scheduled_rules(snakemake, workdir: Path, *args: str) -> set[str]:
    proc = snakemake(workdir, *args, "-n", "--quiet", "rules")
    lines = (proc.stdout + proc.stderr).splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("job ")), None)
    if start is None:  # "Nothing to be done"
        return set()
    rows = [line.split() for line in lines[start + 2 :]]
    return {r[0] for r in rows if len(r) == 2 and r[1].isdigit() and r[0] != "total"}


@pytest.mark.slow
@pytest.mark.parametrize(
    "module, expected",
    [
        ("plugen/evaluate/sweep.py", {"generation_sweep", "summary", "all"}),
        ("plugen/posterior.py", None),  # every job whose script imports it, computed below
    ],
)
def test_editing_a_module_reruns_exactly_the_jobs_whose_scripts_import_it(
    tiny_run, snakemake, module, expected
):
    import re

    from plugen.codedeps import library_files

    path = ROOT / module
    if expected is None:  # rules whose script imports the module, and what follows them
        scripts = {
            s.stem
            for s in (ROOT / "workflow" / "scripts").glob("*.py")
            if str(path) in library_files(s, ROOT / "plugen")
        }
        assert {"train_flow", "train_baseline"} <= scripts
    original = path.read_bytes()
    try:  # an edit (a comment is enough: Snakemake compares the content it recorded)
        path.write_bytes(original + b"\n# edited by a test\n")
        scheduled = _scheduled_rules(snakemake, tiny_run, "--configfile", "tiny.yaml")
    finally:
        path.write_bytes(original)
    if expected is not None:
        assert scheduled == expected
        return
    rule_scripts = {}
    for smk in (ROOT / "workflow" / "rules").glob("*.smk"):
        text = smk.read_text()
        for rule, script in re.findall(r"rule (\w+):.*?scripts/(\w+)\.py", text, re.S):
            rule_scripts[rule] = script
    direct = {r for r, s in rule_scripts.items() if s in scripts} & scheduled
    assert {"train_flow", "train_baseline"} <= direct
    untouched = {"shapes_dataset", "train_classifier", "train_vae", "train_gan", "extract_latents"}
    assert not scheduled & untouched


def test_config_typo_is_an_error_naming_the_key(tmp_path, snakemake):
    (tmp_path / "bad.yaml").write_text("shapes_vae:\n  flow:\n    epoch: 3\n")
    proc = snakemake(tmp_path, "--configfile", "bad.yaml", "-n", check=False)
    assert proc.returncode != 0
    assert "shapes_vae.flow: unknown key(s) ['epoch']" in proc.stdout + proc.stderr
