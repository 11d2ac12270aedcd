"""Counterfactual explanations (plugen.explain): known answers on decisions that read the
plugin's own attribute coordinates, the baseline on a linear decision, measures, the rule, the
checkpointed decision model, the Parquet contract and the ``plugen explain`` verb."""

import numpy as np
import pandas as pd
import pytest
import torch
from torch import Tensor, nn

from plugen import io
from plugen.cli import main
from plugen.explain import Decision, explain, latent_counterfactuals
from plugen.explain.cnn import DecisionCNN, fit_decision_model
from plugen.explain.measures import (
    attribute_table,
    counterfactual_frame,
    judged_changes,
    matched_reference,
    rule_ranked_first,
    summary_row,
)
from plugen.explain.rule import Rule
from plugen.model import PluGeN
from plugen.train import TrainConfig
from tests.paths import TINY

D = 8


@pytest.fixture(scope="module")
def plugin():
    """An untrained plugin (the search only needs an invertible map), y standardization set."""
    torch.manual_seed(0)
    p = PluGeN(D, ["a", "b", "h"], {"h": "continuous"}, hidden=16, n_couplings=2, n_layers=2)
    p.stats.y_mean[2], p.stats.y_std[2] = 10.0, 2.0  # h in user units: 10 + 2 * c_h
    return p


@pytest.fixture(scope="module")
def z():
    return np.random.default_rng(0).normal(size=(120, D)).astype(np.float32)


def coords(plugin, z) -> Tensor:
    return torch.as_tensor(plugin.encode(torch.as_tensor(z))[0])


def test_decision_on_one_attribute_is_explained_by_it_alone(plugin, z):
    decision = Decision(lambda x: 4 * coords(plugin, x)[:, 0])  # accept iff a
    cf = explain(plugin, decision, z)
    assert cf.flipped.all()
    assert cf.changed == [["a"]] * len(z) and (cf.n_changed == 1).all()
    before, after = coords(plugin, z), coords(plugin, cf.z)
    # a moved to the other mode (user units: +-1), b and h kept, the decision flipped
    np.testing.assert_allclose(after[:, 0].numpy(), -np.sign(before[:, 0].numpy()), atol=1e-4)
    np.testing.assert_allclose(after[:, 1:].numpy(), before[:, 1:].numpy(), atol=1e-4)
    np.testing.assert_array_equal(cf.delta[:, 0], -np.sign(before[:, 0].numpy()))
    assert (np.sign(cf.f_after) == -np.sign(cf.f_before)).all()


def test_sparsest_change_first_exact_and_greedy(plugin, z):
    c = coords(plugin, z)
    decision = Decision(lambda x: 4 * torch.minimum(*coords(plugin, x)[:, :2].T))  # a and b
    both_off = ((c[:, 0] < 0) & (c[:, 1] < 0)).numpy()
    for max_exact in (3, 1):  # exhaustive pairs, then the greedy fallback beyond singles
        cf = explain(plugin, decision, z, max_exact=max_exact)
        assert cf.flipped.all()
        np.testing.assert_array_equal(cf.n_changed, np.where(both_off, 2, 1))
        assert all(set(ch) <= {"a", "b"} for ch in cf.changed)


def test_continuous_change_is_the_smallest_within_bounds(plugin, z):
    decision = Decision(lambda x: coords(plugin, x)[:, 2] - 0.5)  # accept iff h > 11
    cf = explain(plugin, decision, z, attributes=["h"], bounds={"h": (4.0, 16.0)})
    assert cf.flipped.all() and cf.changed == [["h"]] * len(z)
    h_after = 10 + 2 * coords(plugin, cf.z)[:, 2].numpy()
    # bisection lands just past the threshold h = 11, on the flipped side
    assert np.abs(h_after - 11.0).max() < 0.2
    np.testing.assert_allclose(
        cf.delta[:, 0], h_after - (10 + 2 * coords(plugin, z)[:, 2].numpy()), atol=1e-3
    )


def test_no_counterfactual_within_the_bounds_is_a_result(plugin, z):
    decision = Decision(lambda x: 4 * coords(plugin, x)[:, 0])
    cf = explain(plugin, decision, z, attributes=["b", "h"], bounds={"h": (9.0, 11.0)})
    assert not cf.flipped.any() and (cf.n_changed == 0).all() and cf.changed == [[]] * len(z)
    np.testing.assert_array_equal(cf.z, z)
    np.testing.assert_array_equal(cf.f_after, cf.f_before)
    frame = counterfactual_frame(cf, [str(i) for i in range(len(z))], z)
    assert summary_row(frame)["validity"] == 0.0


def test_bad_model_output_and_unknown_attributes(plugin, z):
    with pytest.raises(ValueError, match=r"one logit per input, \(120,\) or \(120, 1\)"):
        explain(plugin, Decision(lambda x: x[:, :3]), z)
    with pytest.raises(ValueError, match="'nope'.*known: \\['a', 'b', 'h'\\]"):
        explain(plugin, Decision(lambda x: x[:, 0]), z, attributes=["a", "nope"])
    with pytest.raises(ValueError, match="bounds: 'a' is binary"):
        explain(plugin, Decision(lambda x: x[:, 0]), z, bounds={"a": (0, 1)})


def test_latent_baseline_reaches_the_linear_boundary():
    torch.manual_seed(0)
    lin = nn.Linear(D, 1)
    z = np.random.default_rng(1).normal(size=(40, D)).astype(np.float32)
    cf = latent_counterfactuals(Decision(lin), z, steps=150, lr=0.05, margin=0.1)
    assert cf.flipped.all()
    w = lin.weight.detach().numpy()[0]
    closest = np.abs(cf.f_before) / np.linalg.norm(w)  # distance to the decision boundary
    dist = np.linalg.norm(cf.z - z, axis=1)
    assert (dist >= closest - 1e-4).all() and (dist < closest + 0.25).all()
    with pytest.raises(ValueError, match="no gradient"):
        latent_counterfactuals(Decision(lambda x: x[:, 0].detach()), z)


def test_measures_known_answers():
    frame = pd.DataFrame(
        {
            "flipped": [True, True, True, False],
            "n_changed": [1, 2, 1, 0],
            "changed": [["a"], ["a", "c"], ["b"], []],
            "judged_changed": [["a"], ["a"], ["b", "c"], []],
            "distance": [1.0, 3.0, 2.0, 0.0],
            "nll": [5.0, 6.0, 7.0, 9.0],
        }
    )
    row = summary_row(frame, depends_on=["a", "b"], nll_inputs=4.0)
    assert row["validity"] == 0.75 and row["mean_changed"] == pytest.approx(4 / 3)
    assert row["faithfulness"] == pytest.approx(2 / 3)
    assert row["judged_faithfulness"] == pytest.approx(2 / 3)
    assert row["latent_l2"] == 2.0 and row["nll_increase"] == 2.0
    table = attribute_table({"plugen": frame}, ["a", "b", "c"], ["a", "b"])
    assert table["share"].tolist() == pytest.approx([2 / 3, 1 / 3, 1 / 3])
    assert table["rank"].tolist() == [1, 2, 2]
    assert not rule_ranked_first(table)  # b ties with c, which the rule does not read
    before = pd.DataFrame({"pred_a": [0.9, 0.2], "pred_h": [0.5, 0.5]})
    after = pd.DataFrame({"pred_a": [0.1, 0.4], "pred_h": [0.55, 0.8]})
    kinds = {"a": "binary", "h": "continuous"}
    assert judged_changes(before, after, kinds, tolerance=0.1) == [["a"], ["h"]]
    wanted = pd.DataFrame({"a": [1, 0, 1], "b": [1, 1, 0]})
    available = pd.DataFrame({"a": [0, 1, 1, 1], "b": [1, 0, 1, 1]})
    rows, match = matched_reference(wanted, available)
    assert rows.tolist() == [0, 1, 2] and match[1] == 0 and match[2] == 1 and match[0] in (2, 3)
    rows, _ = matched_reference(wanted, available.iloc[2:])
    assert rows.tolist() == [0]  # no real image is (0, 1) or (1, 0)


def test_rule_parses_and_refuses_unknown_names():
    kinds = {"round": "binary", "red": "binary", "x_pos": "continuous"}
    rule = Rule("round and not (red or x_pos > 0.5)", kinds)
    assert rule.attributes == ["round", "red", "x_pos"]
    labels = {"round": [1, 1, 1, 0], "red": [0, 1, 0, 0], "x_pos": [0.2, 0.2, 0.9, 0.1]}
    np.testing.assert_array_equal(rule(labels), [True, False, False, False])
    with pytest.raises(ValueError, match="unknown attribute 'blue'"):
        Rule("round and blue", kinds)
    with pytest.raises(ValueError, match="needs a comparison"):
        Rule("x_pos", kinds)
    with pytest.raises(ValueError, match="not a boolean expression"):
        Rule("round and", kinds)


def test_decision_model_trains_and_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 60, size=(256, 8, 8, 3)).astype(np.uint8)
    accept = rng.random(256) < 0.5
    images[accept, :, :, 0] += 180  # accepted images are red
    cfg = TrainConfig(epochs=8, batch_size=32, lr=5e-3, seed=0, progress=False, patience=None)
    model, _ = fit_decision_model(images, accept, cfg, widths=[4, 8])
    logits = model.predict(images)
    assert np.mean((logits > 0) == accept) > 0.95
    model.save(tmp_path / "decision.pt")
    np.testing.assert_allclose(DecisionCNN.load(tmp_path / "decision.pt").predict(images), logits)
    with pytest.raises(ValueError, match="accepts all or none"):
        fit_decision_model(images, np.ones(256, bool), cfg, widths=[4, 8])


def test_counterfactuals_table_round_trip(plugin, z, tmp_path):
    cf = explain(plugin, Decision(lambda x: 4 * coords(plugin, x)[:, 0]), z[:5])
    frame = counterfactual_frame(cf, list("abcde"), z[:5], judged_changed=cf.changed)
    io.write_table(tmp_path / "cf.parquet", frame, io.COUNTERFACTUALS, z=cf.z)
    back, z_back = io.read_table(tmp_path / "cf.parquet", io.COUNTERFACTUALS)
    assert back["flipped"].dtype == bool and back["n_changed"].dtype == np.int64
    assert [list(c) for c in back["changed"]] == [["a"]] * 5
    np.testing.assert_allclose(z_back, cf.z)


class FirstCoordinate(nn.Module):
    """A decoder: z (n, d) -> (n, 3, 4, 4) images, every pixel sigmoid(z[:, 0])."""

    def forward(self, z: Tensor) -> Tensor:
        return torch.sigmoid(z[:, :1, None, None]).expand(-1, 3, 4, 4)


class Brightness(nn.Module):
    """A decision model on images: accept bright images; ``width`` outputs per image."""

    def __init__(self, threshold: float, width: int = 1) -> None:
        super().__init__()
        self.threshold, self.width = threshold, width

    def forward(self, x: Tensor) -> Tensor:
        return (10 * (x.mean((1, 2, 3)) - self.threshold))[:, None].expand(-1, self.width)


def test_cli_round_trip(plugin, z, tmp_path, capsys):
    plugin.save(tmp_path / "plugin.pt")
    np.save(tmp_path / "z.npy", z[:30])
    threshold = float(np.median(1 / (1 + np.exp(-z[:30, 0]))))
    torch.jit.save(torch.jit.script(FirstCoordinate()), tmp_path / "dec.pt")
    torch.jit.save(torch.jit.script(Brightness(threshold)), tmp_path / "f.pt")
    torch.jit.save(torch.jit.script(Brightness(threshold, 3)), tmp_path / "bad.pt")
    base = [
        "explain",
        "--plugin",
        str(tmp_path / "plugin.pt"),
        "--decoder",
        str(tmp_path / "dec.pt"),
    ]
    base += ["--latents", str(tmp_path / "z.npy"), "--device", "cpu"]
    out = tmp_path / "cf.parquet"
    assert main([*base, "--model", str(tmp_path / "f.pt"), "--out", str(out)]) == 0
    frame, z_cf = io.read_table(out, io.COUNTERFACTUALS)
    assert len(frame) == 30 and frame["source_id"].tolist() == [str(i) for i in range(30)]
    assert frame["flipped"].any()
    flipped = frame["flipped"].to_numpy()
    assert (np.sign(frame["f_after"]) != np.sign(frame["f_before"]))[flipped].all()
    np.testing.assert_array_equal(z_cf[~flipped], z[:30][~flipped])
    assert (tmp_path / "cf" / "0.png").is_file() and frame["image_path"][0] == "cf/0.png"
    assert "flipped" in capsys.readouterr().out
    bad = [*base, "--model", str(tmp_path / "bad.pt"), "--out", str(out)]
    assert main(bad) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad.pt: output has shape (30, 3)" in err[0]
    unknown = [*base, "--model", str(tmp_path / "f.pt"), "--out", str(out), "--attributes", "a,x"]
    assert main(unknown) == 2
    assert "'x'" in capsys.readouterr().err


def _config(**explain):
    from plugen.config import read_yaml, validate_config

    raw = read_yaml(TINY)
    raw["shapes_vae"]["explain"].update(explain)
    return validate_config(raw)


class RowSum(nn.Module):
    """One logit per latent ``(n, d)``; given images ``(n, C, H, W)`` it returns ``(n, H, W)``."""

    def forward(self, x: Tensor) -> Tensor:
        return x.sum(1)


def test_config_enables_the_task_and_names_bad_keys(tmp_path):
    from plugen import experiments
    from plugen.config import ConfigError

    spec = experiments.get("shapes_vae")
    cfg = _config()
    assert spec.summary_tables(cfg)[-3:] == (
        "decision_model",
        "counterfactuals",
        "counterfactual_attributes",
    )
    assert spec.depends_on(cfg) == ["round", "red"]
    assert "explain_figures" in spec.figure_folders(cfg)
    f = str(tmp_path / "f.pt")
    torch.jit.script(RowSum()).save(f)
    user = _config(model=f, input="latent", depends_on=["red"])
    assert spec.decision_model(user) == {"kind": "torchscript", "path": f, "input": "latent"}
    assert "explain_figures" not in spec.figure_folders(user)  # a latent model: no images
    assert "decision_model" not in spec.summary_tables(user) and spec.depends_on(user) == ["red"]
    assert "counterfactuals" not in spec.summary_tables(_config(enabled=False))
    with pytest.raises(ConfigError, match=r"shapes_vae.explain.rule: .*unknown attribute 'blue'"):
        _config(rule="round and blue")
    with pytest.raises(ConfigError, match=r"shapes_vae.explain.attributes: unknown .*\['size'\]"):
        _config(attributes=["round", "size"])
    with pytest.raises(ConfigError, match=r"shapes_vae.explain.bounds: 'red' is not a continuous"):
        _config(bounds={"red": [0, 1]})
    # the user's model runs on two example inputs before any job
    with pytest.raises(ConfigError, match=r"shapes_vae.explain.model: .*f.pt: output has shape "):
        _config(model=f)  # RowSum on images: (2, 32, 32), not one logit per image
    with pytest.raises(ConfigError, match=r"shapes_vae.explain.model: .*no.pt: file not found"):
        _config(model=str(tmp_path / "no.pt"))
    with pytest.raises(ConfigError, match=r"shapes_vae.explain.input: 'latent' needs"):
        _config(input="latent")


def test_every_image_experiment_has_the_task():
    from plugen import experiments
    from plugen.config import read_yaml, validate_config

    raw = read_yaml(TINY)
    raw["shapes_gan"]["explain"] = {"enabled": True}
    cfg = validate_config(raw)
    gan = experiments.get("shapes_gan")
    assert gan.summary_tables(cfg)[-3:] == (
        "decision_model",
        "counterfactuals",
        "counterfactual_attributes",
    )
    assert gan.rule_images(cfg).endswith("shapes/data/classifier_set.parquet")
    assert gan.depends_on(cfg) == ["round", "red"]
    for name in ("custom", "stylegan_ffhq", "celeba_vae"):
        assert experiments.get(name).explain(cfg) is None  # off by default
        assert "explain" in cfg[name] and cfg[name]["explain"]["input"] == "image"
