"""Experiment specs, the generic image-task helpers they feed, and the plugin probe."""

import numpy as np
import pandas as pd
import pytest

from plugen import experiments, tasks
from plugen.config import load_config
from plugen.evaluate.probe import probe_plugin

DEFAULT = load_config("config/config.yaml")


def test_registry_knows_every_schema_section_and_nothing_else():
    from plugen.config import load_schema

    run_keys = {"seed", "device", "threads", "experiments", "shapes"}
    sections = set(load_schema()["properties"]) - run_keys
    assert set(experiments.names()) == sections


def test_specs_describe_the_default_experiments():
    vae, gan = experiments.get("shapes_vae"), experiments.get("shapes_gan")
    assert vae.binary(DEFAULT) == ["round", "large", "red", "dark_bg", "ring"]
    assert vae.decoder(DEFAULT).path == "results/shapes_vae/models/vae.pt"
    assert gan.judge(DEFAULT).path == "results/shapes/models/classifier.pt"
    assert gan.task_source("flip_real") == "inverted.parquet"
    assert gan.figure_folders(DEFAULT) == ("figures", "gan_figures", "inpaint_figures")
    assert gan.inpaint_methods(DEFAULT) == ["plugen", "l2", "harmonic"]
    assert vae.inpaint_methods(DEFAULT) == ["plugen", "l2", "encoder", "harmonic"]
    assert vae.heldout(DEFAULT) == [{"dark_bg": 1, "red": 1, "round": 1}]
    assert experiments.get("molecules").summary_tables(DEFAULT)[0] == "labeling_report"


def test_generation_caps_combinations_with_distinct_seeded_draws():
    full = tasks.generation_requests(["a", "b"], ["a", "b"], 1)
    assert list(full["group"]) == ["00", "01", "10", "11"]
    capped = tasks.generation_requests(list("abcdefgh"), list("abcdefgh"), 2, 10, seed=3)
    assert capped["group"].nunique() == 10 and len(capped) == 20
    again = tasks.generation_requests(list("abcdefgh"), list("abcdefgh"), 2, 10, seed=3)
    assert capped.equals(again)


def test_manipulation_uses_only_sources_whose_pair_is_known():
    sources = pd.DataFrame(
        {"id": list("pqrs"), "a": [0, 1, np.nan, 0], "b": [1, np.nan, 0, 0]}, dtype=object
    ).astype({"a": float, "b": float})
    req = tasks.manipulation_requests(sources, ["a", "b"], ["a", "b"], 10, seed=0)
    assert sorted(req["source_id"]) == ["p", "s"]
    assert not req[["target_a", "target_b"]].isna().any().any()


def test_gradual_without_values_steps_through_percentiles():
    sources = pd.DataFrame({"id": [str(i) for i in range(101)], "age": np.arange(101.0)})
    cfg = {"attribute": None, "values": None, "n_sources": 2}
    req = tasks.build_requests("gradual", cfg, sources, {"age": "continuous"}, seed=0)
    assert sorted(set(req["target_age"])) == [10.0, 30.0, 50.0, 70.0, 90.0]
    assert req["source_id"].nunique() == 2


def test_scores_skip_attributes_the_judge_does_not_read():
    sources = pd.DataFrame({"id": ["s"], "a": [0.0], "b": [1.0]})
    req = tasks.flip_requests(sources, ["a", "b"], ["a", "b"], 1, seed=0)
    scores = pd.DataFrame({"sample_id": req["sample_id"], "pred_a": [0.9, 0.8]})
    table = tasks.score_task("flip", req, scores, sources, ["a"])
    assert set(table["attribute"]) == {"mean", "a"}
    assert table.query("attribute == 'a'")["accuracy"].iloc[0] == 1.0


class _Reader:
    """A stand-in plugin whose label coordinates are given: the probe's known answer."""

    attributes = ["smile", "age"]
    kinds = {"smile": "binary", "age": "continuous"}

    def label_coordinates(self, z):
        return {"smile": z[:, 0], "age": z[:, 1]}

    def nll(self, z, y):
        return np.full(len(z), 2.5)


def test_probe_reports_accuracy_auc_and_spearman_on_known_labels():
    z = np.array([[0.9, 1.0], [0.2, 2.0], [0.7, 3.0], [0.4, 5.0]])
    labels = pd.DataFrame({"smile": [1.0, 0.0, np.nan, 1.0], "age": [10.0, 20.0, 30.0, np.nan]})
    table = probe_plugin(_Reader(), z, labels).set_index("attribute")
    assert table.loc["smile", "n"] == 3 and table.loc["age", "n"] == 3
    assert table.loc["smile", "accuracy"] == pytest.approx(2 / 3)  # 0.4 reads as 0
    assert table.loc["smile", "auc"] == 1.0 and table.loc["age", "spearman"] == 1.0
    assert table.loc["all", "nll"] == 2.5


def test_a_user_csv_that_does_not_exist_is_named_before_any_job(tmp_path):
    from plugen.config import ConfigError, validate_config

    missing = str(tmp_path / "zinc.csv")
    with pytest.raises(ConfigError, match=f"molecules.data.csv: {missing}: no such file"):
        validate_config({"experiments": ["molecules"], "molecules": {"data": {"csv": missing}}})
