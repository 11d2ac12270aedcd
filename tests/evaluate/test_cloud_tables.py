"""The point-cloud experiments' tables on cases with known answers."""

import numpy as np
import pandas as pd
import pytest

from plugen.evaluate.pointcloud import cloud_metrics_table, gaussian_latents, judge_table
from plugen.experiments.shapes3d.data import ATTRIBUTES, Shapes3DConfig, measure, render


def test_judge_table_compares_the_learned_and_the_analytic_reading_with_the_truth():
    clouds, labels = render(Shapes3DConfig(n_points=256), 64, seed=2)
    perfect = pd.DataFrame({f"pred_{a}": labels[a] for a in ATTRIBUTES})
    perfect["pred_round"] = 1.0 - perfect["pred_round"]  # a judge reading round backwards
    table = judge_table(perfect, labels, ATTRIBUTES, measure(clouds)).set_index("attribute")
    assert table.loc["round", "classifier"] == 0.0 and table.loc["hollow", "classifier"] == 1.0
    assert table.loc["aspect", "metric"] == "spearman"
    assert table.loc["aspect", "classifier"] == pytest.approx(1.0)
    assert (table["analytic"] >= 0.9).all() and (table["n"] == 64).all()
    # without an analytic reading, that column is NaN
    assert judge_table(perfect, labels, ATTRIBUTES)["analytic"].isna().all()


def test_cloud_metrics_of_the_reference_itself_and_of_a_shifted_copy():
    reference = np.random.default_rng(0).normal(size=(12, 32, 3)).astype(np.float32)
    table = cloud_metrics_table(
        {"same": reference, "shifted": reference + 10.0}, reference, emd_clouds=4
    ).set_index("set")
    assert table.loc["same", "mmd_cd"] == pytest.approx(0.0, abs=1e-6)
    assert table.loc["same", "cov_cd"] == 1.0
    assert table.loc["same", "1nna_cd"] == 0.0  # each cloud's nearest other is its twin
    assert table.loc["shifted", "1nna_cd"] == 1.0 and table.loc["shifted", "1nna_emd"] == 1.0
    assert table.loc["shifted", "n"] == 12
    assert "mmd_emd" not in cloud_metrics_table({"same": reference}, reference)


def test_gaussian_latents_match_the_latents_moments():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(4000, 3)) @ np.array([[2.0, 0, 0], [1.0, 1.0, 0], [0, 0, 0.5]]) + 3.0
    draws = gaussian_latents(z, 20000, seed=0)
    assert draws.dtype == np.float32 and draws.shape == (20000, 3)
    np.testing.assert_allclose(draws.mean(0), z.mean(0), atol=0.05)
    np.testing.assert_allclose(np.cov(draws, rowvar=False), np.cov(z, rowvar=False), atol=0.1)
    assert gaussian_latents(z, 5, seed=0).tobytes() == gaussian_latents(z, 5, seed=0).tobytes()


def test_a_reference_table_computed_once_gives_the_same_metrics():
    from plugen.evaluate.pointcloud import pairwise_chamfer, set_metrics

    rng = np.random.default_rng(3)
    gen, ref = rng.normal(size=(6, 16, 3)), rng.normal(size=(5, 16, 3))
    d_rr = pairwise_chamfer(ref)
    assert set_metrics(gen, ref, reference_distances=d_rr) == set_metrics(gen, ref)
    with pytest.raises(ValueError, match=r"reference_distances \(2, 2\), expected \(5, 5\)"):
        set_metrics(gen, ref, reference_distances=d_rr[:2, :2])
