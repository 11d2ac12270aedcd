"""The rivals in the DAG: comparison tables, sources' labels, training sets, specs."""

import numpy as np
import pandas as pd
import pytest

from plugen import experiments
from plugen.baselines import BASELINES, InterFaceGAN
from plugen.labelling import training_labels
from plugen.summary import compare_methods, paper_beside, training_report
from plugen.tasks import run_requests, score_flips, source_labels


def flip_metrics(acc00, acc01, acc10, acc11):
    """A score_flips table of two attributes a, b with the given per-value accuracies."""
    requests = pd.DataFrame(
        {
            "sample_id": list("pqrs"),
            "source_id": list("pqrs"),
            "group": ["a=0", "a=1", "b=0", "b=1"],
        }
    )
    sources = pd.DataFrame(
        {"id": list("pqrs"), "a": [1.0, 0.0, 1.0, 1.0], "b": [1.0, 1.0, 1.0, 0.0]}
    )
    # the requested value read (prob 0/1 per the accuracy asked for), the other kept
    scores = pd.DataFrame(
        {
            "sample_id": list("pqrs"),
            "pred_a": [1.0 - acc00, acc01, 1.0, 1.0],
            "pred_b": [1.0, 1.0, 1.0 - acc10, acc11],
        }
    )
    return score_flips(requests, scores, sources, ["a", "b"])


def test_compare_flip_has_one_row_per_method_with_the_known_cells():
    tables = {"plugen": flip_metrics(1, 1, 1, 0), "cflow": flip_metrics(0, 1, 0, 0)}
    table = compare_methods("flip", tables)
    assert list(table["method"]) == ["plugen", "cflow"]
    plugen, cflow = table.iloc[0], table.iloc[1]
    assert (plugen["a=0"], plugen["a=1"], plugen["b=0"], plugen["b=1"]) == (1, 1, 1, 0)
    assert plugen["average"] == pytest.approx(0.75)  # a: 1.0, b: 0.5
    assert cflow["average"] == pytest.approx(0.25) and cflow["a=1"] == 1.0
    assert plugen["preserved"] == 1.0


def test_compare_manipulation_reads_seen_and_heldout_and_nan_when_missing():
    def man(seen, heldout):
        rows = [("seen", "all", seen), ("seen", "a+b", seen)]
        rows += [("held-out", "all", heldout)] if heldout is not None else []
        frame = pd.DataFrame(rows, columns=["combination", "pair", "pair_accuracy"])
        return frame.assign(n=4, preserved=0.5)

    table = compare_methods(
        "manipulation", {"plugen": man(0.9, 0.6), "interfacegan": man(0.7, None)}
    )
    assert table.loc[0, "seen"] == 0.9 and table.loc[0, "held-out"] == 0.6
    assert table.loc[1, "seen"] == 0.7 and np.isnan(table.loc[1, "held-out"])
    assert table.loc[0, "preserved_seen"] == 0.5


def test_compare_generation_has_f1_and_auc_per_attribute():
    gen = pd.DataFrame(
        {"attribute": ["a", "mean"], "accuracy": [0.8, 0.8], "f1": [0.7, 0.7], "auc": [0.9, 0.9]}
    )
    table = compare_methods("generation", {"plugen": gen, "cflow": gen.assign(f1=0.1)})
    assert table.loc[0, "f1_a"] == 0.7 and table.loc[0, "auc_mean"] == 0.9
    assert table.loc[1, "f1_mean"] == 0.1


def test_compare_generation_prints_the_temperature_every_method_sampled_at():
    gen = pd.DataFrame({"attribute": ["a"], "accuracy": [0.8], "f1": [0.7], "auc": [0.9]})
    table = compare_methods("generation", {"plugen": gen, "cvae": gen}, temperature=0.5)
    assert list(table.columns[:3]) == ["method", "temperature", "f1_a"]
    assert table["temperature"].tolist() == [0.5, 0.5]
    assert "temperature" not in compare_methods("generation", {"plugen": gen}).columns


def test_compare_refuses_an_unknown_task_and_no_methods():
    with pytest.raises(ValueError, match="unknown image task"):
        compare_methods("fid", {"plugen": pd.DataFrame({"x": [1.0]})})
    with pytest.raises(ValueError, match="no methods"):
        compare_methods("flip", {})


def test_paper_rows_beside_use_the_paper_names_of_the_compared_methods():
    ref = paper_beside("shapes_vae", "compare_manipulation", ["plugen", "interfacegan", "cflow"])
    assert list(ref.columns) == ["Requested value", "PluGeN", "cFlow"]
    assert ref.iloc[0].tolist() == ["Average Acc", 0.69, 0.67]
    assert paper_beside("shapes_vae", "compare_gradual", ["plugen"]) is None
    flip = paper_beside("shapes_gan", "compare_flip", ["plugen", "cnf"])
    assert list(flip.columns) == ["Requested value", "PluGeN", "StyleFlow"]


def test_training_report_says_how_each_method_stopped():
    early = pd.DataFrame({"epoch": [1, 2, 3], "val_nll": [3.0, 1.0, 2.0]})
    capped = pd.DataFrame({"epoch": [1, 2], "val_loss": [2.0, 1.0]})
    closed = pd.DataFrame({"epoch": [1], "val_score_a": [0.9]})
    table = training_report(
        {"cflow": early, "plugen": capped, "interfacegan": closed},
        {"cflow": 10, "plugen": 2, "interfacegan": None},
        {"cflow": 5.0, "plugen": 2.0, "interfacegan": 1.0},
        trained_on={"cflow": "posterior samples", "plugen": "posterior samples"},
    ).set_index("method")
    assert table.loc["cflow", "stopped"] == "early stop" and table.loc["cflow", "best_epoch"] == 2
    assert table.loc["cflow", "best_val"] == 1.0 and np.isnan(table.loc["interfacegan", "best_val"])
    assert table.loc["plugen", "trained_on"] == "posterior samples"
    assert table.loc["plugen", "stopped"] == "epoch cap" and table.loc["plugen", "best_epoch"] == 2
    assert table.loc["interfacegan", "stopped"] == "closed form"
    assert table.loc["cflow", "train_seconds"] == 5.0


def test_training_report_has_edit_latency_per_batch_and_nan_where_not_measured():
    hist = pd.DataFrame({"epoch": [1], "val_loss": [1.0]})
    table = training_report(
        {"plugen": hist, "cnf": hist, "cvae": hist},
        {"plugen": 1, "cnf": 1, "cvae": 1},
        {},
        {"plugen": {1: 0.5, 256: 0.01}, "cnf": {1: 40.0, 256: 2.0}},
    ).set_index("method")
    assert table.loc["cnf", "edit_ms_b1"] == 40.0 and table.loc["plugen", "edit_ms_b256"] == 0.01
    assert np.isnan(table.loc["cvae", "edit_ms_b1"])
    assert np.isnan(table.loc["cvae", "train_seconds"])


def test_source_labels_fill_unknown_binary_labels_with_the_rounded_probability():
    sources = pd.DataFrame(
        {
            "id": ["u", "v"],
            "a": [np.nan, 1.0],
            "prob_a": [0.7, 0.9],
            "x": [0.25, np.nan],
        }
    )
    labels = source_labels(sources, ["a", "x"])
    assert labels["u"].tolist() == [1.0, 0.25] and labels["v"][0] == 1.0
    assert np.isnan(labels["v"][1])  # no probability: stays unknown
    with pytest.raises(ValueError, match=r"missing label column\(s\) \['b'\]"):
        source_labels(sources, ["b"])


def test_training_labels_are_train_and_val_rows_with_seeded_hidden_entries():
    split = np.array(["train", "test", "val", "train"])
    labels = np.arange(8, dtype=np.float32).reshape(4, 2)
    keep, y = training_labels(split, labels, 1.0, 0)
    assert keep.tolist() == [True, False, True, True] and y.tolist() == [[0, 1], [4, 5], [6, 7]]
    _, half = training_labels(split, labels, 0.5, 3)
    _, again = training_labels(split, labels, 0.5, 3)
    assert np.array_equal(np.isnan(half), np.isnan(again)) and np.isnan(half).any()
    with pytest.raises(ValueError, match="label_fraction"):
        training_labels(split, labels, 0.0, 0)


def test_rival_operations_match_the_baseline_classes():
    for method, ops in experiments.RIVAL_OPERATIONS.items():
        assert set(ops) == set(BASELINES[method].tasks), method


def test_specs_name_their_rivals_and_the_tasks_each_can_do():
    cfg = {"shapes_gan": {"baselines": {"methods": ["interfacegan", "cflow"]}}}
    spec = experiments.get("shapes_gan")
    assert spec.rivals(cfg) == ("interfacegan", "cflow")
    assert spec.rival_tasks(cfg, "cflow") == ("generation", "flip", "flip_real")
    assert spec.compared_methods(cfg, "flip") == ("plugen", "interfacegan", "cflow")
    assert experiments.get("molecules").rivals({"molecules": {}}) == ()
    assert experiments.run_path("shapes_gan", "cflow", "model.pt") == (
        "results/shapes_gan/baselines/cflow/model.pt"
    )
    assert experiments.parse_run("shapes_gan/baselines/cflow") == ("shapes_gan", "cflow")
    assert experiments.parse_run("shapes_gan") == ("shapes_gan", "plugen")


def test_run_requests_edits_with_a_rival_and_passes_the_sources_labels():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((200, 4)).astype(np.float32)
    y = (z[:, :1] > 0).astype(np.float32)
    rival = InterFaceGAN(4, ["a"])
    rival.fit(z, y)
    requests = pd.DataFrame(
        {"sample_id": ["s0", "s1"], "source_id": ["p", "q"], "target_a": [1.0, 0.0]}
    )
    source_z = {"p": z[0], "q": z[1]}
    labels = {"p": np.array([0.0], np.float32), "q": np.array([1.0], np.float32)}
    out = run_requests(rival, requests, source_z, source_labels=labels)
    assert out.shape == (2, 4)
    assert rival.distances(out)[0, 0] > 0 > rival.distances(out)[1, 0]


def test_interfacegan_leaves_a_single_class_attribute_unedited_and_edits_the_others(caplog):
    rng = np.random.default_rng(1)
    z = rng.standard_normal((300, 4)).astype(np.float32)
    y = np.stack([np.ones(300), z[:, 1] > 0], 1).astype(np.float32)  # 'a' only ever 1
    rival = InterFaceGAN(4, ["a", "b"])
    rival.fit(z, y)
    assert "'a' has a single class" in caplog.text
    assert np.allclose(rival.manipulate(z[:5], {"a": 0.0}), z[:5], atol=1e-5)
    edited = rival.manipulate(z[:5], {"b": 1.0})
    assert (rival.distances(edited)[:, 1] > 0).all()


# ------------------------------------------------------------------ image rivals (MSP, cVAE)
class _PaintEditor:
    """A stand-in image editor with known answers: generate paints pixel (0, 0) red with
    255 * value of 'a' (and channel 1 with the seed), manipulate paints it with the value."""

    attributes, kinds, size = ["a"], {"a": "binary"}, 2

    def generate(self, values, n, temperature=1.0, seed=None):
        out = np.zeros((n, 2, 2, 3), np.uint8)
        out[:, 0, 0, 0], out[:, 0, 0, 1] = 255 * values["a"], seed
        return out

    def manipulate(self, images, values, source_labels=None):
        out = images.copy()
        out[:, 0, 0, 0] = 255 * values["a"]
        return out


def test_flat_image_editor_answers_requests_with_images_of_their_own_sources():
    from plugen.baselines.image import FlatImageEditor

    editor = FlatImageEditor(_PaintEditor())
    assert editor.latent_dim == 12
    sources = np.arange(3 * 12, dtype=np.uint8).reshape(3, 2, 2, 3)
    source_z = dict(zip("pqr", editor.flatten(sources)))
    requests = pd.DataFrame(
        {"sample_id": ["s0", "s1", "s2"], "source_id": ["r", "p", "q"], "target_a": [1.0, 0, 1]}
    )
    images = editor.images(run_requests(editor, requests, source_z))
    assert images.dtype == np.uint8 and images.shape == (3, 2, 2, 3)
    assert images[:, 0, 0, 0].tolist() == [255, 0, 255]  # the requested value, per row
    np.testing.assert_array_equal(images[1, 1], sources[0, 1])  # the rest: source p's pixels
    np.testing.assert_array_equal(images[0, 1], sources[2, 1])
    generated = pd.DataFrame({"sample_id": ["g0", "g1"], "target_a": [1.0, 0.0]})
    gen = editor.images(run_requests(editor, generated, None, seed=7))
    assert gen[:, 0, 0, 0].tolist() == [255, 0] and gen[:, 0, 0, 1].tolist() == [7, 8]


def test_dataset_images_come_in_the_order_of_the_ids_and_missing_ids_are_named(tmp_path):
    from plugen import io
    from plugen.baselines.image import dataset_images

    images = np.stack([np.full((4, 4, 3), v, np.uint8) for v in (10, 20, 30)])
    table = pd.DataFrame({"id": ["a", "b", "c"], "split": ["train", "val", "test"]})
    table["image_path"] = io.write_images(images, tmp_path / "images", list(table["id"]))
    io.write_table(tmp_path / "dataset.parquet", table, io.DATASET)
    got = dataset_images(tmp_path / "dataset.parquet", ["c", "a"])
    assert got[:, 0, 0, 0].tolist() == [30, 10]
    with pytest.raises(ValueError, match=r"dataset.parquet: 1 id\(s\) .*\['x'\]"):
        dataset_images(tmp_path / "dataset.parquet", ["a", "x"])


def test_image_rivals_do_their_own_task_and_need_an_encoded_image_dataset():
    rivals = {"methods": ["msp", "cvae"]}
    cfg = {"shapes_vae": {"baselines": rivals, "tasks": {"gradual": {"attribute": "x_pos"}}}}
    spec = experiments.get("shapes_vae")
    assert spec.rival_tasks(cfg, "msp") == ("manipulation", "gradual")
    assert spec.rival_tasks(cfg, "cvae") == ("generation",)
    assert spec.compared_methods(cfg, "generation") == ("plugen", "cvae")
    assert spec.rival_problems(cfg) == []
    gan = {"shapes_gan": {"baselines": {"methods": ["interfacegan", "msp"]}}}
    (problem,) = experiments.get("shapes_gan").rival_problems(gan)
    assert problem.startswith("shapes_gan.baselines.methods: ['msp'] train on the experiment's")


def _dry_run(snakemake, tmp_path, **sections):
    """``snakemake -n`` of the tiny config with ``sections`` merged in: the jobs' outputs."""
    import yaml

    from tests.paths import TINY

    cfg = yaml.safe_load(TINY.read_text())
    cfg["experiments"] = list(sections)  # only the experiments under test: a smaller DAG
    for exp, section in sections.items():
        cfg[exp].update(section)
    (tmp_path / "cfg.yaml").write_text(yaml.safe_dump(cfg))
    proc = snakemake(tmp_path, "--configfile", "cfg.yaml", "-n", check=False)
    return proc, [
        line.split(":", 1)[1].strip()
        for line in proc.stdout.splitlines()
        if line.strip().startswith("output:")
    ]


def test_dry_run_wires_msp_and_cvae_on_the_images_through_the_shared_task_rules(
    tmp_path, snakemake
):
    tiny = {"latent_dim": 8, "widths": [8, 16], "train": {"epochs": 1}}
    baselines = {"methods": ["interfacegan", "msp", "cvae"], "msp": tiny, "cvae": tiny}
    proc, outputs = _dry_run(snakemake, tmp_path, shapes_vae={"baselines": baselines})
    assert proc.returncode == 0, proc.stderr[-2000:]
    runs = "results/shapes_vae/baselines"
    for method in ("msp", "cvae"):
        assert f"{runs}/{method}/model.pt, {runs}/{method}/history.parquet" in outputs
    samples = {o.split(",")[0] for o in outputs if "/samples/" in o and "/baselines/" in o}
    assert f"{runs}/msp/samples/manipulation.parquet" in samples
    assert f"{runs}/cvae/samples/generation.parquet" in samples
    assert f"{runs}/msp/samples/generation.parquet" not in samples  # MSP does not generate
    assert f"{runs}/cvae/samples/manipulation.parquet" not in samples  # cVAE does not edit
    assert f"{runs}/msp/scores/manipulation.parquet" in outputs
    assert f"{runs}/cvae/scores/generation.parquet" in outputs
    # the image rivals read the experiment's dataset table (train and sample jobs)
    lines = proc.stdout.splitlines()
    msp_jobs = [
        lines[i - 1]
        for i, ln in enumerate(lines)
        if ln.strip().startswith("output:") and f"{runs}/msp/" in ln
        and any(f"{runs}/msp/{f}" in ln for f in ("model.pt", "samples/"))
    ]  # fmt: skip
    assert len(msp_jobs) >= 2  # training, and a sample job per task it does
    assert all("results/shapes/data/dataset.parquet" in ln for ln in msp_jobs)


def test_config_refuses_an_image_rival_on_sampled_latents_before_any_job():
    import yaml

    from plugen.config import ConfigError, validate_config
    from tests.paths import TINY

    cfg = yaml.safe_load(TINY.read_text())
    cfg["shapes_gan"]["baselines"] = {"methods": ["cvae"]}
    with pytest.raises(ConfigError, match=r"shapes_gan.baselines.methods: \['cvae'\] train on"):
        validate_config(cfg)
    cfg["shapes_gan"]["baselines"] = {"methods": ["cnf"]}
    cfg["shapes_vae"]["baselines"] = {"methods": ["msp", "cvae"]}
    assert validate_config(cfg)["shapes_vae"]["baselines"]["msp"]["train"]["lr_patience"] == 1


def test_load_editor_reads_any_method_and_source_latents_checks_what_it_edits(tmp_path):
    from plugen import io
    from plugen.baselines.image import FlatImageEditor
    from plugen.editors import load_editor, source_latents

    rng = np.random.default_rng(2)
    z = rng.standard_normal((50, 4)).astype(np.float32)
    rival = InterFaceGAN(4, ["a"])
    rival.fit(z, (z[:, :1] > 0).astype(np.float32))
    rival.save(tmp_path / "ifg.pt")
    editor = load_editor("interfacegan", tmp_path / "ifg.pt")
    assert isinstance(editor, InterFaceGAN) and editor.attributes == ["a"]
    sources = pd.DataFrame({"id": ["p", "q"]})
    got = source_latents(editor, sources, z[:2], "latents.parquet", tmp_path / "ifg.pt")
    np.testing.assert_array_equal(got["q"], z[1])
    with pytest.raises(ValueError, match=r"^latents.parquet: latents are 3-d, .*ifg.pt expects 4$"):
        source_latents(editor, sources, z[:2, :3], "latents.parquet", tmp_path / "ifg.pt")
    with pytest.raises(FileNotFoundError, match="nope.pt"):
        load_editor("cflow", tmp_path / "nope.pt")

    painter = FlatImageEditor(_PaintEditor())
    images = np.stack([np.full((2, 2, 3), v, np.uint8) for v in (5, 9)])
    table = pd.DataFrame({"id": ["p", "q"], "split": ["test", "test"]})
    table["image_path"] = io.write_images(images, tmp_path / "images", ["p", "q"])
    io.write_table(tmp_path / "dataset.parquet", table, io.DATASET)
    got = source_latents(
        painter, sources[::-1], z[:2], "latents.parquet", "m.pt", tmp_path / "dataset.parquet"
    )
    assert got["q"].shape == (12,) and got["q"][0] == 9 and got["p"][0] == 5
    with pytest.raises(ValueError, match=r"^m.pt: an image rival edits images; no image dataset"):
        source_latents(painter, sources, z[:2], "latents.parquet", "m.pt")
