"""The shapes3d experiment through the real snakemake command on a tiny config: every table, the
point-cloud payload of the samples, and one line for each bad setting."""

import numpy as np
import pytest
import yaml

from plugen import io

TINY = {
    "experiments": ["shapes3d"],
    "shapes3d": {
        "data": {"n_train": 120, "n_val": 30, "n_test": 48, "n_classifier": 96, "n_points": 64},
        "autoencoder": {
            "latent_dim": 32,
            "widths": [8, 16],
            "decoder_widths": [32],
            "train": {"epochs": 2, "batch_size": 32},
        },
        "judge": {"widths": [8, 16], "train": {"epochs": 2, "batch_size": 32}},
        "flow": {"hidden": 32, "n_layers": 2, "n_couplings": 2, "train": {"epochs": 2}},
        "tasks": {
            "generation": {"n_per_combination": 2},
            "manipulation": {"n_per_pair": 3},
            "gradual": {"n_sources": 3},
        },
        "metrics": {"n_reference": 16, "emd_clouds": 4},
        "baselines": {"methods": ["interfacegan"]},
    },
}


def _write(work, config):
    (work / "tiny.yaml").write_text(yaml.safe_dump(config))


@pytest.fixture(scope="module")
def run(tmp_path_factory, snakemake):
    work = tmp_path_factory.mktemp("shapes3d")
    _write(work, TINY)
    snakemake(work, "--configfile", "tiny.yaml")
    return work / "results" / "shapes3d"


@pytest.mark.slow
def test_tiny_shapes3d_run_writes_clouds_tables_and_summary(run):
    data, _ = io.read_table(run / "data" / "dataset.parquet", io.DATASET)
    assert (data["split"].value_counts()[["train", "val", "test"]] == [120, 30, 48]).all()
    clouds = io.read_clouds(data["cloud_path"], run / "data")
    assert clouds.shape == (198, 64, 3)
    lat, z, z_std = io.read_latents(run / "latents.parquet")
    assert z.shape == z_std.shape == (198, 32)
    assert {"round", "hollow", "tall", "aspect", "taper"} <= set(lat)
    gen, zg = io.read_table(run / "samples" / "generation.parquet", io.SAMPLES)
    assert len(gen) == 16 and gen["group"].nunique() == 8  # 2 per binary combination
    # every sample: its decoded cloud and that cloud's three-view rendering
    assert io.read_clouds(gen["cloud_path"], run / "samples").shape == (16, 64, 3)
    assert io.read_images(gen["image_path"], run / "samples").shape == (16, 64, 192, 3)
    # continuous attributes requested at the configured values, scored by Spearman
    np.testing.assert_allclose(
        sorted(set(gen["target_aspect"])), [0.1, 0.3, 0.5, 0.7, 0.9], rtol=1e-6
    )
    table, _ = io.read_table(run / "metrics" / "generation.parquet", io.METRICS)
    assert list(table["attribute"]) == ["round", "hollow", "tall", "aspect", "taper", "mean"]
    assert table.set_index("attribute")["spearman"][["aspect", "taper"]].notna().all()
    manip, _ = io.read_table(run / "metrics" / "manipulation.parquet", io.METRICS)
    assert {"seen", "held-out"} <= set(manip["combination"])
    judge, _ = io.read_table(run / "metrics" / "judge.parquet", io.METRICS)
    assert list(judge["metric"]) == ["accuracy"] * 3 + ["spearman"] * 2
    # the analytic half of the judge reads the real clouds' binary factors
    assert (judge["analytic"][:3] >= 0.8).all()
    ae, _ = io.read_table(run / "metrics" / "autoencoder.parquet", io.METRICS)
    assert list(ae["split"]) == ["train", "val", "test"] and (ae["chamfer"] > 0).all()
    sets, _ = io.read_table(run / "metrics" / "cloud_metrics.parquet", io.METRICS)
    assert list(sets["set"]) == [
        "real test clouds",
        "autoencoder reconstructions",
        "gaussian on latents",
        "plugen",
        "interfacegan",
    ]
    assert sets[["cov_cd", "1nna_cd", "cov_emd", "1nna_emd"]].apply(np.isfinite).all().all()
    assert ((sets["1nna_cd"] >= 0) & (sets["1nna_cd"] <= 1)).all()
    compare, _ = io.read_table(run / "metrics" / "compare_generation.parquet", io.METRICS)
    assert list(compare["method"]) == ["plugen", "interfacegan"]
    assert {"spearman_aspect", "spearman_taper", "f1_tall"} <= set(compare)
    summary = (run.parent / "summary.md").read_text()
    assert "## shapes3d" in summary and "### cloud_metrics" in summary
    assert (run / "figures" / "generation.png").is_file()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"autoencoder": {"latent_dim": 32}, "data": {"heldout": [{"aspect": 1}]}}, "heldout"),
        (
            {"tasks": {"gradual": {"attribute": "colour"}}},
            "shapes3d.tasks.gradual.attribute: 'colour'",
        ),
        ({"metrics": {"n_reference": 500}}, "shapes3d.metrics.n_reference: 500 exceeds the 400"),
        ({"baselines": {"methods": ["msp"]}}, "shapes3d.baselines.methods: ['msp']"),
    ],
)
def test_bad_settings_fail_before_any_job_with_one_line(tmp_path, snakemake, change, message):
    _write(tmp_path, {"experiments": ["shapes3d"], "shapes3d": change})
    proc = snakemake(tmp_path, "--configfile", "tiny.yaml", "-n", check=False)
    assert proc.returncode != 0
    assert message in proc.stdout + proc.stderr


def _fabricate_pc15k(root, synsets=("02691156", "03001627"), per_split=4):
    """PointFlow's layout: <root>/<synset>/<split>/<id>.npy, each (15000, 3); airplanes flat
    boxes, chairs tall ones."""
    rng = np.random.default_rng(0)
    for k, synset in enumerate(synsets):
        for split in ("train", "val", "test"):
            folder = root / synset / split
            folder.mkdir(parents=True)
            for i in range(per_split):
                scale = np.array([2.0, 0.5, 1.0]) if k == 0 else np.array([0.6, 2.0, 0.6])
                np.save(folder / f"m{i}.npy", rng.uniform(-1, 1, (15000, 3)) * scale)


@pytest.mark.slow
def test_shapenet_clouds_by_path_through_the_point_cloud_rules(tmp_path, snakemake):
    _fabricate_pc15k(tmp_path / "PC15k")
    config = {
        "experiments": ["shapenet_pc"],
        "shapenet_pc": {
            "data": {"path": "PC15k", "categories": ["airplane", "chair"], "n_points": 64},
            "autoencoder": TINY["shapes3d"]["autoencoder"],
            "judge": TINY["shapes3d"]["judge"],
        },
    }
    _write(tmp_path, config)
    res = tmp_path / "results" / "shapenet_pc"
    targets = ["results/shapenet_pc/latents.parquet", "results/shapenet_pc/metrics/judge.parquet"]
    snakemake(tmp_path, *targets, "--configfile", "tiny.yaml")
    data, _ = io.read_table(res / "data" / "dataset.parquet", io.DATASET)
    assert data["split"].value_counts().to_dict() == {"train": 8, "val": 8, "test": 8}
    assert data["id"].iloc[0] == "02691156/m0"
    assert (data["airplane"] + data["chair"] == 1).all()
    # the geometric labels read the shapes: chairs are taller (y) than airplanes
    assert data.groupby("chair")["height"].mean().diff().iloc[-1] > 0.5
    _, z, z_std = io.read_latents(res / "latents.parquet")
    # the autoencoder's latent noise (0.1 of the train latents' std) is the posterior spread
    assert z.shape == z_std.shape == (24, 32)
    np.testing.assert_allclose(z_std[0], 0.1 * z[data["split"] == "train"].std(0), rtol=1e-4)
    judge, _ = io.read_table(res / "metrics" / "judge.parquet", io.METRICS)
    assert list(judge["attribute"]) == ["airplane", "chair", "height", "elongation", "spread"]
    assert judge["analytic"].isna().all()  # no analytic reading for real clouds


@pytest.mark.slow
def test_shapenet_without_a_path_fails_before_any_job(tmp_path, snakemake):
    _write(tmp_path, {"experiments": ["shapenet_pc"]})
    proc = snakemake(tmp_path, "--configfile", "tiny.yaml", "-n", check=False)
    assert proc.returncode != 0 and "shapenet_pc.data.path: not set" in proc.stdout + proc.stderr
