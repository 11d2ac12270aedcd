"""Known-answer tests for the pure scoring functions."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata as scipy_rankdata
from scipy.stats import spearmanr

from plugen.evaluate.metrics import (
    accuracy,
    f1_score,
    mean_absolute_error,
    rankdata,
    roc_auc,
    score_attributes,
    spearman,
    tidy_table,
)


def test_accuracy_and_f1_known_values():
    assert accuracy([1, 0, 1, 1], [1, 1, 1, 0]) == 0.5
    # tp = 1, 2 true positives and 2 predicted positives -> F1 = 2 * 1 / 4
    assert f1_score([1, 1, 0, 0], [1, 0, 1, 0]) == 0.5
    assert f1_score([0, 0], [0, 0]) == 0.0
    assert math.isnan(accuracy([], [])) and math.isnan(f1_score([], []))


def test_rankdata_matches_scipy_average_ranks():
    rng = np.random.default_rng(0)
    for x in (rng.normal(size=50), rng.integers(0, 5, 60), [3.0], [], [2, 2, 2, 1], [1, np.nan]):
        np.testing.assert_array_equal(rankdata(x), scipy_rankdata(x))


def test_roc_auc_known_values_ties_and_missing_class():
    assert roc_auc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert roc_auc([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1]) == 0.0
    # 3 of the 4 positive/negative pairs are ordered correctly
    assert roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
    assert roc_auc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]) == 0.5
    assert math.isnan(roc_auc([1, 1, 1], [0.1, 0.2, 0.3]))


def test_spearman_matches_scipy_and_handles_constants():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=50), rng.normal(size=50)
    b[:10] = b[0]  # ties
    assert spearman(a, b) == pytest.approx(spearmanr(a, b).statistic)
    assert spearman([1, 2, 3], [1, 8, 27]) == pytest.approx(1.0)
    assert spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert math.isnan(spearman([1, 1, 1], [1, 2, 3]))


def test_length_mismatch_is_a_clear_error():
    with pytest.raises(ValueError, match="lengths 2 and 3"):
        accuracy([1, 0], [1, 0, 1])


def test_score_attributes_skips_unknown_labels_and_tidies():
    labels = pd.DataFrame({"a": [1.0, 0.0, np.nan, 1.0], "x": [0.0, 1.0, 2.0, 3.0]})
    preds = pd.DataFrame({"pred_a": [0.9, 0.2, 0.9, 0.3], "pred_x": [0.5, 1.0, 2.0, 3.5]})
    scores = score_attributes(labels, preds, {"a": "binary", "x": "continuous"})
    assert scores["a"]["accuracy"] == pytest.approx(2 / 3)
    assert scores["x"]["mae"] == pytest.approx(0.25)
    assert mean_absolute_error([0, 0], [1, -3]) == 2.0
    table = tidy_table(scores, model="m")
    assert list(table.columns) == ["model", "attribute", "metric", "value"]
    assert len(table) == 5 and (table["model"] == "m").all()
