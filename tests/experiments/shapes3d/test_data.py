"""The procedural point clouds: determinism, shapes, the held-out combination, and the analytic
measurements recovering every attribute."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from plugen.experiments.shapes3d.data import (
    ATTRIBUTES,
    Shapes3DConfig,
    is_heldout,
    make_dataset,
    measure,
    render,
    sample_attributes,
)


@pytest.fixture(scope="module")
def rendered():
    return render(Shapes3DConfig(), 320, seed=11)


def test_render_is_deterministic_with_documented_shapes_and_normalisation():
    cfg = Shapes3DConfig(n_points=128)
    clouds, labels = render(cfg, 12, seed=3)
    again, labels_again = render(cfg, 12, seed=3)
    assert clouds.tobytes() == again.tobytes()
    pd.testing.assert_frame_equal(labels, labels_again)
    assert render(cfg, 12, seed=4)[0].tobytes() != clouds.tobytes()
    assert clouds.shape == (12, 128, 3) and clouds.dtype == np.float32
    assert list(labels.columns) == list(ATTRIBUTES) and (labels.dtypes == np.float32).all()
    # centroid at the origin, farthest point at distance 1
    np.testing.assert_allclose(clouds.mean(1), 0.0, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(clouds, axis=-1).max(1), 1.0, atol=1e-6)
    # crossed: the 8 binary combinations cycled
    assert (
        labels.groupby(["round", "hollow", "tall"]).size().tolist() == [2, 1] * 4
    )  # tall (bit 2) is 1 in codes 4-7


def test_render_uses_given_attributes_and_rejects_bad_ones():
    attributes = pd.DataFrame(
        {
            "round": [1.0, 0.0],
            "hollow": [0.0, 1.0],
            "tall": [1.0, 0.0],
            "aspect": [0.0, 1.0],
            "taper": [0.5, 0.0],
        }
    )
    _, labels = render(Shapes3DConfig(n_points=64), 2, seed=0, attributes=attributes)
    np.testing.assert_array_equal(labels.to_numpy(), attributes.to_numpy(np.float32))
    with pytest.raises(ValueError, match="taper"):
        render(Shapes3DConfig(), 2, 0, attributes.drop(columns="taper"))
    with pytest.raises(ValueError, match="3 attribute rows|2 attribute rows"):
        render(Shapes3DConfig(), 3, 0, attributes)
    with pytest.raises(ValueError, match="held-out"):
        Shapes3DConfig(heldout=[{"aspect": 1}])


def test_dataset_splits_hold_out_the_combination_and_the_test_split_is_crossed():
    cfg = Shapes3DConfig(n_points=32)
    table, clouds = make_dataset(300, 60, 64, cfg)
    assert len(table) == len(clouds) == 424 and clouds.shape[1:] == (32, 3)
    labelled = table[table.split.isin(["train", "val"])]
    assert not is_heldout(labelled, cfg).any()
    test = table[table.split == "test"]
    combos = test.groupby(["round", "hollow", "tall"]).size()
    assert len(combos) == 8 and combos.min() == combos.max() == 8
    # the correlated splits: round and hollow are negatively correlated
    rows = sample_attributes(4000, cfg, np.random.default_rng(0))
    assert np.corrcoef(rows["round"], rows["hollow"])[0, 1] < -0.2
    assert table.id.is_unique


def test_measure_recovers_every_attribute(rendered):
    clouds, labels = rendered
    measured = measure(clouds)
    for name, kind in ATTRIBUTES.items():
        if kind == "binary":
            assert (measured[name] == labels[name]).mean() >= 0.95, name
        else:
            assert spearmanr(measured[name], labels[name]).statistic >= 0.9, name


def test_measure_is_invariant_to_translation_scale_and_point_order(rendered):
    clouds = rendered[0][:40]
    moved = 3.0 * clouds[:, ::-1] + np.array([1.0, -2.0, 0.5], np.float32)
    pd.testing.assert_frame_equal(measure(clouds), measure(moved), atol=1e-4)
    with pytest.raises(ValueError, match=r"expected \(n, P, 3\)"):
        measure(clouds[0])
