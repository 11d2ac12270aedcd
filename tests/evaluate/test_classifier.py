"""External attribute classifier: learns, predicts in attribute units, saves, fails clearly."""

import numpy as np
import pandas as pd
import pytest
import torch

from plugen.evaluate.classifier import AttributeClassifier, evaluate_classifier, fit_classifier
from plugen.experiments.shapes.data import ATTRIBUTES, ShapesConfig, make_classifier_set
from plugen.train import TrainConfig

TINY = {"widths": [8, 16, 32], "feature_dim": 32}
CFG = TrainConfig(epochs=3, batch_size=32, lr=3e-3, progress=False, seed=0)


@pytest.fixture(scope="module")
def trained():
    df, images = make_classifier_set(256, ShapesConfig(seed=1))
    clf, history = fit_classifier(images, df, ATTRIBUTES, CFG, clf_kwargs=TINY)
    return clf, history, df, images


def test_learns_an_easy_attribute_and_reports_units(trained):
    clf, history, df, images = trained
    assert len(history) == 3
    preds = clf.predict(images)
    assert list(preds.columns) == [f"pred_{a}" for a in ATTRIBUTES]
    assert preds["pred_red"].between(0, 1).all()
    table = evaluate_classifier(clf, images, df, split="train")
    acc = table.set_index(["attribute", "metric"])["value"]
    assert acc["dark_bg", "accuracy"] >= 0.9
    # continuous predictions come back in the attribute's own units (x_pos in [0, 1])
    assert abs(preds["pred_x_pos"].mean() - df["x_pos"].mean()) < 0.25
    assert clf.features(images[:5]).shape == (5, 32)


def test_save_load_round_trip_and_foreign_file(trained, tmp_path):
    clf, _, _, images = trained
    clf.save(tmp_path / "clf.pt")
    back = AttributeClassifier.load(tmp_path / "clf.pt")
    pd.testing.assert_frame_equal(back.predict(images[:16]), clf.predict(images[:16]))
    torch.save({"weights": 1}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a attribute classifier checkpoint"):
        AttributeClassifier.load(tmp_path / "other.pt")
    with pytest.raises(FileNotFoundError):
        AttributeClassifier.load(tmp_path / "missing.pt")


def test_unknown_labels_are_masked_and_bad_labels_rejected():
    df, images = make_classifier_set(64, ShapesConfig(seed=2))
    df.loc[::2, "round"] = np.nan
    cfg = TrainConfig(epochs=1, batch_size=32, progress=False)
    _, history = fit_classifier(images, df, ATTRIBUTES, cfg, clf_kwargs=TINY)
    assert np.isfinite(history.to_frame()["train_loss"]).all()
    bad = df.assign(red=2.0)
    with pytest.raises(ValueError, match="'red' has values other than 0/1"):
        fit_classifier(images, bad, ATTRIBUTES, cfg, clf_kwargs=TINY)
    with pytest.raises(ValueError, match=r"\['ring'\] missing"):
        fit_classifier(images, df.drop(columns="ring"), ATTRIBUTES, cfg, clf_kwargs=TINY)
    with pytest.raises(ValueError, match="expected 32x32"):
        AttributeClassifier(ATTRIBUTES, **TINY).predict(np.zeros((2, 64, 64, 3), np.uint8))


def test_a_resnet_like_judge_has_residual_stages_and_round_trips(tmp_path):
    from plugen.nn import ResidualBlock

    clf = AttributeClassifier({"a": "binary", "b": "continuous"}, size=16, widths=(8, 16), blocks=2)
    assert sum(isinstance(m, ResidualBlock) for m in clf.modules()) == 4
    block = ResidualBlock(4).eval()
    for p in block.body.parameters():
        torch.nn.init.zeros_(p)
    x = torch.randn(2, 4, 5, 5)
    assert torch.allclose(block(x), torch.nn.functional.leaky_relu(x, 0.2))  # identity skip
    images = np.random.default_rng(0).integers(0, 255, (6, 16, 16, 3), dtype=np.uint8)
    clf.save(tmp_path / "judge.pt")
    back = AttributeClassifier.load(tmp_path / "judge.pt")
    pd.testing.assert_frame_equal(back.predict(images), clf.predict(images))
