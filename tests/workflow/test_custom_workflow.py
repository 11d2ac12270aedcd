"""`custom` end to end through the real snakemake: a fabricated user model (latents from a fixed
nonlinear map, a TorchScript decoder, judge and decision model built by conftest.py's
fabricate_custom, labels with 30% empty cells)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from plugen import io

D = 8  # the fabricated user model's latent width (fabricate_custom in conftest.py)


class TwoLogits(torch.nn.Module):
    """A decision model with one output per class: not one logit per input."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(1)[:, :2]


@pytest.fixture(scope="module")
def custom_run(tmp_path_factory, snakemake, fabricate_custom, custom_config):
    work = tmp_path_factory.mktemp("custom")
    cfg = custom_config(fabricate_custom(work))
    explain = {"enabled": True, "model": str(work / "decision.pt"), "n_inputs": 40}
    # the judge reads age as changed when it moves by more than 3 years
    cfg["custom"]["explain"] = {**explain, "tolerance": 3.0, "latent": {"steps": 30}}
    # the decoder draws the attributes in the upper half: hide it, ask for a smile
    cfg["custom"]["inpaint"] = {
        "enabled": True,
        "n_images": 8,
        "k": 2,
        "masks": {"upper": {"kind": "half", "side": "upper"}},
        "requests": [{"mask": "upper", "attribute": "smile"}],
        "methods": ["plugen", "l2", "harmonic"],
        "search": {"steps": 60, "candidates": 32},
    }
    (work / "cfg.yaml").write_text(yaml.safe_dump(cfg))
    snakemake(work, "--configfile", "cfg.yaml")
    return work


@pytest.mark.slow
def test_custom_run_edits_what_the_judge_reads(custom_run):
    res = custom_run / "results" / "custom"
    metrics = {p.stem: io.read_table(p, io.METRICS)[0] for p in (res / "metrics").glob("*")}
    explained = {"counterfactuals", "counterfactual_attributes"}
    tasks = {"probe", "generation", "manipulation", "flip", "gradual"}
    assert set(metrics) == tasks | explained | {"training", "inpaint"}
    assert metrics["training"]["trained_on"].tolist() == ["posterior samples"]  # latents_std
    gen = metrics["generation"].set_index("attribute")
    assert gen.loc["mean", "accuracy"] >= 0.9, gen
    man = metrics["manipulation"].query("pair == 'all'")
    assert (man["pair_accuracy"] >= 0.9).all(), man
    flip = metrics["flip"].query("attribute == 'mean'").iloc[0]
    assert flip["accuracy"] >= 0.9 and flip["preserved"] >= 0.9, metrics["flip"]
    assert metrics["gradual"]["spearman"].iloc[0] >= 0.9
    probe = metrics["probe"].set_index("attribute")
    assert probe.loc["smile", "accuracy"] >= 0.9 and probe.loc["age", "spearman"] >= 0.9
    assert np.isfinite(probe.loc["all", "nll"])
    assert "## custom" in (custom_run / "results" / "summary.md").read_text()


@pytest.mark.slow
def test_custom_inpainting_masks_the_decoded_test_latents_and_honours_requests(custom_run):
    res = custom_run / "results" / "custom"
    truth, _ = io.read_table(res / "inpaint_truth" / "dataset.parquet", io.DATASET)
    assert len(truth) == 8 and set(truth["split"]) == {"test"}
    fills, z = io.read_table(res / "inpaint" / "plugen.parquet", io.INPAINT)
    assert z.shape == (len(fills), D) and set(fills["mask"]) == {"upper", "full"}
    asked = fills[fills["request"] == "smile"]
    unknown = truth.set_index("id").loc[asked["source_id"], "smile"].isna().to_numpy()
    assert (asked["target_smile"].isna().to_numpy() == unknown).all()  # nothing to flip
    table = io.read_table(res / "metrics" / "inpaint.parquet", io.METRICS)[0]
    row = table.query("method == 'plugen' and request == 'smile'").iloc[0]
    assert row["requested_acc"] >= 0.75, table
    # the upper half hides every attribute: observed-region PSNR near the full reconstruction
    free = table.query("method == 'plugen' and request == 'none'").iloc[0]
    assert free["psnr_observed"] >= free["psnr_observed_reference"] - 1.0


@pytest.mark.slow
def test_plugen_evaluate_reproduces_the_workflows_tables(custom_run, capsys):
    """The CLI's tasks on the run's plugin and config: the same requests for the same seed, the
    same judge, the same tables to 3 decimals."""
    from plugen.cli import main

    res, out = custom_run / "results" / "custom", custom_run / "cli_metrics"
    argv = ["evaluate", "--config", str(custom_run / "cfg.yaml"), "--plugin"]
    assert main([*argv, str(res / "models" / "plugin.pt"), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    for task in ("generation", "manipulation", "flip", "gradual"):
        ours, _ = io.read_table(out / f"{task}.parquet", io.METRICS)
        theirs, _ = io.read_table(res / "metrics" / f"{task}.parquet", io.METRICS)
        pd.testing.assert_frame_equal(ours, theirs, atol=5e-4, rtol=0)
        assert f"{task} (" in printed


@pytest.mark.slow
def test_custom_counterfactuals_of_a_smile_decision_change_smile(custom_run):
    res = custom_run / "results" / "custom"
    cf, z = io.read_table(res / "counterfactuals" / "plugen.parquet", io.COUNTERFACTUALS)
    assert len(cf) == 40 and z.shape == (40, D)
    assert cf["flipped"].mean() >= 0.9, cf
    flipped = cf[cf["flipped"]]
    only_smile = np.array([list(c) == ["smile"] for c in flipped["changed"]])
    assert only_smile.mean() >= 0.85, flipped["changed"]
    # an input near the boundary may flip by a smaller move of an entangled continuous axis;
    # one far from it (|logit| > 1, smile factor beyond +-0.25) is explained by smile alone
    assert only_smile[flipped["f_before"].abs().to_numpy() > 1].all()
    assert np.mean(["smile" in c for c in flipped["judged_changed"]]) >= 0.9
    assert (np.sign(flipped["f_before"]) != np.sign(flipped["f_after"])).all()
    summary, _ = io.read_table(res / "metrics" / "counterfactuals.parquet", io.METRICS)
    assert list(summary["method"]) == ["plugen", "latent"]
    # the user's model has no known rule: faithfulness is left out, and the summary says so
    assert "judged_faithfulness" not in summary and "rule is unknown" in summary.iloc[0, -1]
    shares, _ = io.read_table(res / "metrics" / "counterfactual_attributes.parquet", io.METRICS)
    top = shares.query("method == 'plugen'").sort_values("share").iloc[-1]
    assert top["attribute"] == "smile" and top["share"] >= 0.9
    assert (res / "explain_figures" / "counterfactuals_plugen.png").exists()
    assert "### counterfactuals" in (custom_run / "results" / "summary.md").read_text()


@pytest.mark.slow
def test_custom_outputs_pass_the_schema_checks(custom_run):
    res = custom_run / "results" / "custom"
    lat, z, z_std = io.read_latents(res / "latents.parquet")
    assert z.shape == (3000, D) and set(lat["split"]) == {"train", "val", "test"}
    assert z_std.shape == z.shape and (z_std == 0.05).all()  # the user's posterior spread
    log = (custom_run / "logs" / "custom" / "train_flow.log").read_text()
    assert "posterior samples" in log
    assert set(lat["smile"].dropna()) == {0.0, 1.0}  # -1/1 in the csv
    assert 0.25 < lat["age"].isna().mean() < 0.35
    for task in ("generation", "manipulation", "flip", "gradual"):
        samples, zs = io.read_table(res / "samples" / f"{task}.parquet", io.SAMPLES)
        assert zs.shape == (len(samples), D) and "target_smile" in samples
        assert all((res / "samples" / p).exists() for p in samples["image_path"])
        scores, _ = io.read_table(res / "scores" / f"{task}.parquet", io.SCORES)
        assert list(scores) == ["sample_id", "pred_smile", "pred_glasses", "pred_age"]
    assert (res / "models" / "plugin.pt").exists()
    assert (res / "figures" / "generation.png").exists()


def test_custom_without_decoder_reports_the_probe_only(
    tmp_path, snakemake, fabricate_custom, custom_config
):
    files = fabricate_custom(tmp_path, n=600)
    cfg = custom_config({"latents": files["latents"], "labels": files["labels"]})
    cfg["custom"]["flow"]["train"]["epochs"] = 3
    (tmp_path / "cfg.yaml").write_text(yaml.safe_dump(cfg))
    proc = snakemake(tmp_path, "--configfile", "cfg.yaml", "-n", "--quiet", "rules")
    out = proc.stdout + proc.stderr
    assert "probe" in out and "score" not in out and "train_flow" in out


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda f, c: (
                pd.read_csv(f / "labels.csv").head(10).to_csv(f / "labels.csv", index=False)
            ),
            "labels.csv",
        ),
        (
            lambda f, c: c["custom"].update(classifier_outputs=["smile", "beard", "age"]),
            "custom.classifier_outputs",
        ),
        (
            lambda f, c: torch.jit.script(torch.nn.Identity()).save(str(f / "decoder.pt")),
            "decoder.pt",
        ),
        (lambda f, c: c["custom"].update(classifier_outputs=["smile", "age"]), "judge.pt"),
        (lambda f, c: c["custom"].pop("labels"), "custom.labels"),
        (
            lambda f, c: c["custom"].update(explain={"enabled": True, "model": str(f / "no.pt")}),
            "custom.explain.model: ",
        ),
        (
            lambda f, c: (
                torch.jit.script(TwoLogits()).save(str(f / "decision.pt")),
                c["custom"].update(explain={"enabled": True, "model": str(f / "decision.pt")}),
            ),
            "custom.explain.model: ",
        ),
    ],
    ids=[
        "length",
        "unknown-output",
        "decoder-not-images",
        "judge-width",
        "no-labels",
        "no-decision-model",
        "decision-two-logits",
    ],
)
def test_custom_bad_input_fails_before_any_job(
    tmp_path, snakemake, fabricate_custom, custom_config, change, message
):
    files = fabricate_custom(tmp_path, n=200)
    cfg = custom_config(files)
    change(tmp_path, cfg)
    (tmp_path / "cfg.yaml").write_text(yaml.safe_dump(cfg))
    proc = snakemake(tmp_path, "--configfile", "cfg.yaml", "-n", check=False)
    assert proc.returncode != 0
    assert message in proc.stdout + proc.stderr
    assert not (tmp_path / "results").exists()


def _problems(cfg: dict) -> list[str]:
    """The config check's problem lines (what the dry run reports before any job)."""
    from plugen.config import ConfigError, validate_config

    try:
        validate_config(cfg)
    except ConfigError as exc:
        return [line.removeprefix("config: ") for line in str(exc).splitlines()]
    return []


def test_custom_config_check_refuses_bad_labels_and_keys(tmp_path, monkeypatch, fabricate_custom):
    files = fabricate_custom(tmp_path, n=200)
    labels = pd.read_csv(files["labels"])
    base = {"latents": files["latents"], "labels": files["labels"]}
    assert _problems({"experiments": ["custom"], "custom": base}) == []

    labels.rename(columns={"age": "z"}).to_csv(tmp_path / "zcol.csv", index=False)
    cfg = {"experiments": ["custom"], "custom": {**base, "labels": str(tmp_path / "zcol.csv")}}
    assert _problems(cfg) == [
        f"{tmp_path / 'zcol.csv'}: column 'z' is a reserved name (the latents' column); rename it"
    ]

    gradual = {"gradual": {"attribute": "smile"}}
    cfg = {"experiments": ["custom"], "custom": {**base, "tasks": gradual}}
    assert _problems(cfg) == [
        "custom.tasks.gradual.attribute: 'smile' is binary; gradual moves a continuous "
        "attribute (continuous: ['age'])"
    ]

    monkeypatch.chdir(tmp_path)
    cfg = {"experiments": ["custom"], "custom": {**base, "latents": "z.npy"}}
    assert _problems(cfg) == [f"custom.latents: z.npy: no such latents file ({tmp_path}/z.npy)"]


def test_custom_config_check_warns_of_a_two_valued_non_binary_column(
    tmp_path, caplog, fabricate_custom
):
    files = fabricate_custom(tmp_path, n=200)
    labels = pd.read_csv(files["labels"])
    labels["smile"] += 1  # -1/1 -> 0/2
    labels.to_csv(tmp_path / "labels02.csv", index=False)
    custom = {"latents": files["latents"], "labels": str(tmp_path / "labels02.csv")}
    with caplog.at_level("WARNING"):
        assert _problems({"experiments": ["custom"], "custom": custom}) == []
    assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == [
        "attribute 'smile' has the two values 0 and 2 and is taken as continuous; recode it "
        "to 0/1 to make it binary, or declare it continuous in kinds (smile=continuous) to "
        "keep it so"
    ]


class GreyDecoder(torch.nn.Module):
    """z (n, 8) -> grey images (n, 1, 8, 8): the top half shows sigmoid of the first coordinate."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        img = torch.full((z.shape[0], 1, 8, 8), 0.5)
        img[:, :, :4, :] = torch.sigmoid(z[:, :1])[:, :, None, None]
        return img


class Judge2D(torch.nn.Module):
    """images (n, 3, H, W) -> (n, 3): fails on anything of another rank."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean((2, 3))


class GreyJudge(torch.nn.Module):
    """grey images (n, 1, 8, 8) -> (n, 3); a 3-channel image fails in its 1-channel conv."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 3, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x).mean((2, 3))


def test_a_grey_decoders_judge_gets_grey_images(
    tmp_path, snakemake, fabricate_custom, custom_config
):
    from plugen import experiments
    from plugen.config import validate_config

    files = fabricate_custom(tmp_path, n=200)
    torch.jit.script(GreyDecoder()).save(files["decoder"])
    torch.jit.script(GreyJudge()).save(files["classifier"])
    cfg = custom_config(files)
    judge = experiments.get("custom").judge(validate_config(cfg))
    assert judge.channels == 1 and judge.as_dict()["channels"] == 1
    (tmp_path / "cfg.yaml").write_text(yaml.safe_dump(cfg))
    proc = snakemake(tmp_path, "--configfile", "cfg.yaml", "-n", check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_the_users_val_split_decides_early_stopping(tmp_path, fabricate_custom, custom_config):
    from plugen import experiments
    from plugen.config import validate_config

    files = fabricate_custom(tmp_path, n=200)
    spec = experiments.get("custom")
    assert not spec.validation_split(validate_config(custom_config(files)))  # seeded val_fraction
    labels = pd.read_csv(files["labels"])
    labels["split"] = ["train"] * 140 + ["val"] * 30 + ["test"] * 30
    labels.to_csv(tmp_path / "split.csv", index=False)
    cfg = validate_config(custom_config({**files, "labels": str(tmp_path / "split.csv")}))
    assert spec.validation_split(cfg)


def test_custom_rivals_join_every_table_when_listed(tmp_path, fabricate_custom, custom_config):
    from plugen import experiments
    from plugen.config import validate_config

    files = fabricate_custom(tmp_path, n=200)
    cfg = custom_config(files)
    spec = experiments.get("custom")
    assert not spec.rival_tables(validate_config(cfg))  # off unless listed
    cfg["custom"]["baselines"] = {"methods": ["interfacegan", "cflow"]}
    tables = spec.summary_tables(validate_config(cfg))
    compared = {"compare_generation", "compare_manipulation", "compare_flip"}
    assert compared <= set(tables) and "rivals_training" in tables
    cfg["custom"]["baselines"] = {"methods": ["msp"]}
    with pytest.raises(ValueError, match=r"custom.baselines.methods: \['msp'\] train on"):
        validate_config(cfg)


@pytest.mark.slow
def test_a_point_cloud_decoder_runs_every_task_judged_on_its_clouds(
    tmp_path, snakemake, fabricate_custom, custom_config
):
    from plugen import experiments
    from plugen.config import validate_config

    files = fabricate_custom(tmp_path, n=1500, clouds=True)
    cfg = custom_config(files)
    spec = experiments.get("custom")
    checked = validate_config(cfg)
    assert spec.decoder(checked).kind == "torchscript_cloud"
    assert spec.judge(checked).kind == "torchscript_cloud"
    (tmp_path / "cfg.yaml").write_text(yaml.safe_dump(cfg))
    snakemake(tmp_path, "--configfile", "cfg.yaml")
    res = tmp_path / "results" / "custom"
    for task in ("generation", "manipulation", "flip", "gradual"):
        samples, _ = io.read_table(res / "samples" / f"{task}.parquet", io.SAMPLES)
        clouds = io.read_clouds(samples["cloud_path"], res / "samples")
        assert clouds.shape == (len(samples), 64, 3)
        assert all((res / "samples" / p).exists() for p in samples["image_path"])  # renderings
    metrics = {p.stem: io.read_table(p, io.METRICS)[0] for p in (res / "metrics").glob("*")}
    gen = metrics["generation"].set_index("attribute")
    assert gen.loc["mean", "accuracy"] >= 0.9, gen
    flip = metrics["flip"].query("attribute == 'mean'").iloc[0]
    assert flip["accuracy"] >= 0.9 and flip["preserved"] >= 0.9, metrics["flip"]
    assert metrics["gradual"]["spearman"].iloc[0] >= 0.9
    assert (res / "figures" / "generation.png").exists()


def test_image_only_tasks_refuse_a_point_cloud_decoder(tmp_path, fabricate_custom, custom_config):
    files = fabricate_custom(tmp_path, n=200, clouds=True)
    cfg = custom_config(files)
    cfg["custom"]["inpaint"] = {"enabled": True}
    assert _problems(cfg) == [
        "custom.inpaint.enabled: inpainting needs images; custom decodes point clouds"
    ]
    cfg["custom"]["inpaint"] = {"enabled": False}
    cfg["custom"]["explain"] = {"enabled": True, "model": files["classifier"]}
    assert _problems(cfg) == [
        "custom.explain.enabled: counterfactual explanations need images; custom decodes "
        "point clouds"
    ]
    torch.jit.script(Judge2D()).save(files["classifier"])  # reads images, gets clouds
    cfg["custom"]["inpaint"] = cfg["custom"]["explain"] = {"enabled": False}
    (problem,) = _problems(cfg)
    assert problem.startswith(
        f"{files['classifier']}: the judge failed on input of shape (1, 64, 3)"
    )
