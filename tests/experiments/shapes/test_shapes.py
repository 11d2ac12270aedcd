"""Procedural shapes: splits, held-out combinations, determinism, and visible factors."""

import numpy as np
import pandas as pd
import pytest

from plugen.experiments.shapes.data import (
    ATTRIBUTES,
    BINARY,
    ShapesConfig,
    counterfactual_images,
    is_heldout,
    make_classifier_set,
    make_dataset,
    render,
    sample_factors,
)

CFG = ShapesConfig(heldout=[{"round": 1, "red": 1, "dark_bg": 1}], seed=3)


@pytest.fixture(scope="module")
def data():
    return make_dataset(120, 40, 64, CFG, n_pretrain=30)


def test_attributes_declare_binary_and_continuous_factors():
    kinds = list(ATTRIBUTES.values())
    assert kinds.count("binary") >= 5 and kinds.count("continuous") >= 1


def test_dataset_table_matches_images(data):
    df, images = data
    assert images.shape == (254, 32, 32, 3) and images.dtype == np.uint8
    assert list(df.columns) == ["id", "split", *ATTRIBUTES]
    assert df["id"].is_unique
    counts = {"train": 120, "test": 64, "val": 40, "pretrain": 30}
    assert df["split"].value_counts().to_dict() == counts
    assert all(df[a].dtype == np.float32 for a in ATTRIBUTES)
    labelled = df[df["split"] != "pretrain"]
    assert labelled["x_pos"].between(0, 1).all()
    # the backbone's pretraining images carry no labels
    assert df.loc[df["split"] == "pretrain", list(ATTRIBUTES)].isna().all().all()


def test_heldout_combinations_only_in_the_crossed_test_split(data):
    df, _ = data
    held = is_heldout(df, CFG)
    assert not held[df["split"] != "test"].any()
    test = df[df["split"] == "test"]
    assert held[df["split"] == "test"].sum() == 64 // 8  # balanced: 1/8 of 2**5 codes
    np.testing.assert_allclose(test[BINARY].mean(), 0.5)


def test_correlated_unless_crossed():
    rng = np.random.default_rng(0)
    corr = sample_factors(4000, CFG, rng)[["round", "red"]].corr().iloc[0, 1]
    crossed = sample_factors(4000, CFG, rng, crossed=True)[["round", "red"]].corr().iloc[0, 1]
    assert corr < -0.2 and abs(crossed) < 0.05
    natural = sample_factors(4000, CFG, rng, exclude_heldout=False)
    assert 0.02 < is_heldout(natural, CFG).mean() < 0.125  # present, but rarer than crossed
    none = ShapesConfig(correlation=0.0, heldout=[])
    assert abs(sample_factors(4000, none, rng)[["round", "red"]].corr().iloc[0, 1]) < 0.05


def test_rendering_is_deterministic_and_seed_dependent(data):
    df, images = data
    again = make_dataset(120, 40, 64, CFG, n_pretrain=30)
    np.testing.assert_array_equal(again[1], images)
    pd.testing.assert_frame_equal(again[0], df)
    other = make_dataset(120, 40, 64, ShapesConfig(heldout=CFG.heldout, seed=4), 30)[1]
    assert not np.array_equal(other, images)
    clf_df, clf_images = make_classifier_set(64, CFG)
    assert clf_df["id"].str.startswith("clf_").all() and clf_images.shape == (64, 32, 32, 3)
    assert not np.array_equal(clf_images, images[-64:])


def test_images_show_their_factors(data):
    df, images = data
    keep = (df["split"] != "pretrain").to_numpy()
    df, img = df[keep], images[keep].astype(float)
    corner = img[:, :3, :3].mean((1, 2, 3))
    assert corner[df["dark_bg"] == 1].max() < corner[df["dark_bg"] == 0].min()
    # the shape's pixels: far from the background colour taken at the corner
    fg = np.abs(img - img[:, :1, :1]).sum(-1) > 150
    red_minus_blue = [(img[i][fg[i]][:, 0] - img[i][fg[i]][:, 2]).mean() for i in range(len(img))]
    red_minus_blue = np.array(red_minus_blue)
    assert red_minus_blue[df["red"] == 1].min() > 0 > red_minus_blue[df["red"] == 0].max()
    area = fg.sum((1, 2))
    full = df["ring"] == 0
    assert area[full & (df["large"] == 1)].min() > area[full & (df["large"] == 0)].max()
    cols = np.arange(32)
    centre_x = (fg.sum(1) * cols).sum(1) / fg.sum((1, 2))
    assert np.corrcoef(centre_x, df["x_pos"])[0, 1] > 0.95


def test_size_64_and_clear_errors():
    factors = sample_factors(4, CFG, np.random.default_rng(0), crossed=True)
    assert render(factors, ShapesConfig(size=64), seed=0).shape == (4, 64, 64, 3)
    with pytest.raises(ValueError, match="'x_pos'"):
        render(factors.drop(columns="x_pos"), CFG, seed=0)
    with pytest.raises(ValueError, match="binary attributes"):
        ShapesConfig(heldout=[{"x_pos": 1}])
    with pytest.raises(ValueError, match="size must be 32 or 64"):
        ShapesConfig(size=48)


def test_counterfactual_images_change_only_the_flipped_attribute():
    from plugen.inverse.masks import box_mask, half_mask
    from plugen.inverse.task import attribute_shown

    cfg = ShapesConfig(size=32)
    data = {**cfg.to_dict(), "n_test": 40}
    df, images = make_dataset(10, 10, 40, cfg)
    real = images[(df["split"] == "test").to_numpy()][:8]
    ring = counterfactual_images(data, "ring", 8)
    assert ring.shape == real.shape and ring.dtype == np.uint8
    same = (ring == real).all(-1)
    assert same.mean() > 0.7 and (~same).any((1, 2)).all()  # nuisances equal, the hole differs
    # the pixels that differ are the hole: the centre box hides it for a centred shape
    keep = np.broadcast_to(box_mask(32, 0.75), (8, 1, 32, 32))
    to_float = lambda x: x.transpose(0, 3, 1, 2).astype(np.float32) / 255  # noqa: E731
    shown = attribute_shown(to_float(real), to_float(ring), keep, np.arange(8))
    assert not shown.any()
    red = counterfactual_images(data, "red", 8)
    upper = np.broadcast_to(half_mask(32, "lower"), (8, 1, 32, 32))  # the upper half seen
    assert attribute_shown(to_float(real), to_float(red), upper, np.arange(8)).all()
    with pytest.raises(ValueError, match="is not one of"):
        counterfactual_images(data, "x_pos", 2)
