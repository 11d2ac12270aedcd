"""Point clouds through the shared layers: the cloud shards of plugen.io, their three-view
renderings, the PointNet decoder's payload columns, the judge's inputs, and generation requests
with continuous targets scored by Spearman correlation."""

import numpy as np
import pandas as pd
import pytest

from plugen import io
from plugen.backbones import image_decoder, write_decoded
from plugen.backbones.pointnet import PointNetAE, PointNetClassifier
from plugen.evaluate.judge import judge_inputs, load_judge
from plugen.plots import render_clouds
from plugen.summary import compare_methods
from plugen.tasks import build_requests, score_generation

KINDS = {"round": "binary", "tall": "binary", "aspect": "continuous"}


def test_cloud_shard_round_trip_and_one_line_errors(tmp_path):
    clouds = np.random.default_rng(0).normal(size=(5, 7, 3))
    paths = io.write_clouds(clouds, tmp_path / "clouds")
    assert paths == [f"clouds/clouds.npy#{i}" for i in range(5)]
    back = io.read_clouds(paths[::-1], tmp_path)
    assert back.dtype == np.float32
    np.testing.assert_array_equal(back, clouds[::-1].astype(np.float32))
    assert io.read_clouds([], tmp_path).shape == (0, 0, 3)
    with pytest.raises(ValueError, match=r"clouds/clouds.npy: has 5 clouds, table asks for #9"):
        io.read_clouds(["clouds/clouds.npy#9"], tmp_path)
    with pytest.raises(FileNotFoundError, match="cloud shard listed in the table is missing"):
        io.read_clouds(["other/clouds.npy#0"], tmp_path)
    with pytest.raises(ValueError, match="expected 'shard_NNN.npy#index'"):
        io.read_clouds(["clouds/clouds.npy"], tmp_path)
    with pytest.raises(ValueError, match=r"clouds must be \(n, P, 3\)"):
        io.write_clouds(clouds[..., :2], tmp_path / "bad")


def test_render_draws_three_orthographic_views_shaded_by_depth():
    # one point at the centre, nearest the viewer of each view (+y front, +x side, +z top)
    cloud = np.array([[[0.0, 0.0, 0.0]], [[1.0, 0.0, 0.0]]])
    images = render_clouds(cloud, size=32)
    assert images.shape == (2, 32, 96, 3) and images.dtype == np.uint8
    centre = images[0]
    drawn = np.argwhere((centre != 255).any(-1))
    # a 2x2 dot in the middle of each 32-pixel view
    assert sorted({int(x) // 32 for x in drawn[:, 1]}) == [0, 1, 2] and len(drawn) == 12
    assert set(drawn[:, 0].tolist()) == {15, 16}
    # x = 1: right of centre in the front and top views, nearest the viewer in the side view
    moved = np.argwhere((images[1] != 255).any(-1))
    assert moved[moved[:, 1] < 32][:, 1].min() > 16
    side = images[1][:, 32:64][(images[1][:, 32:64] != 255).any(-1)]
    assert (side.mean(-1) < centre[:, 32:64][(centre[:, 32:64] != 255).any(-1)].mean(-1)).all()
    with pytest.raises(ValueError, match=r"expected \(n, P, 3\)"):
        render_clouds(cloud[0])


def test_pointnet_decoder_writes_clouds_and_their_renderings(tmp_path):
    ae = PointNetAE(n_points=16, latent_dim=32, widths=(8, 16), decoder_widths=(16,))
    ae.save(tmp_path / "ae.pt")
    decoder = {"kind": "pointnet", "path": str(tmp_path / "ae.pt")}
    z = np.random.default_rng(1).normal(size=(3, 32)).astype(np.float32)
    columns = write_decoded(decoder, z, tmp_path / "samples" / "gen", ["a", "b", "c"])
    assert set(columns) == {"image_path", "cloud_path"}
    clouds = io.read_clouds(columns["cloud_path"], tmp_path / "samples")
    assert clouds.shape == (3, 16, 3)
    images = io.read_images(columns["image_path"], tmp_path / "samples")
    np.testing.assert_array_equal(images, render_clouds(clouds))
    np.testing.assert_array_equal(image_decoder(decoder)(z), images)
    # the PointNet judge reads the clouds, an image judge the images
    clf = PointNetClassifier({"round": "binary"}, widths=(8,), head_widths=(8,))
    clf.save(tmp_path / "judge.pt")
    judge = {"kind": "pointnet", "path": str(tmp_path / "judge.pt")}
    samples = pd.DataFrame(columns)
    inputs = judge_inputs(judge, samples, tmp_path / "samples")
    np.testing.assert_array_equal(inputs, clouds)
    preds = load_judge(judge, {"round": "binary"})(inputs)
    assert list(preds.columns) == ["pred_round"] and preds["pred_round"].between(0, 1).all()
    with pytest.raises(ValueError, match="no cloud_path column for the pointnet judge"):
        judge_inputs(judge, samples.drop(columns="cloud_path"), tmp_path)


def test_generation_requests_continuous_values_and_their_spearman():
    cfg = {"n_per_combination": 10, "continuous_values": [0.1, 0.5, 0.9]}
    requests = build_requests("generation", cfg, pd.DataFrame(), KINDS, seed=0)
    assert len(requests) == 40 and requests["group"].nunique() == 4
    for _, rows in requests.groupby("group"):  # values cycled, 4 + 3 + 3 per combination
        assert sorted(rows["target_aspect"].value_counts().tolist()) == [3, 3, 4]
    free = build_requests("generation", {"n_per_combination": 10}, pd.DataFrame(), KINDS, 0)
    assert free["target_aspect"].isna().all()
    # a judge that reads the requested values exactly (and the binaries right)
    scores = pd.DataFrame(
        {
            "sample_id": requests["sample_id"],
            "pred_round": requests["target_round"],
            "pred_tall": requests["target_tall"],
            "pred_aspect": requests["target_aspect"] + 0.05,
        }
    )
    table = score_generation(requests, scores, ["round", "tall"]).set_index("attribute")
    assert table.loc["aspect", "spearman"] == pytest.approx(1.0)
    assert table.loc["aspect", "mean_abs_error"] == pytest.approx(0.05)
    assert table.loc["round", "accuracy"] == 1.0 and np.isnan(table.loc["round", "spearman"])
    compare = compare_methods("generation", {"plugen": table.reset_index()})
    assert compare.loc[0, "spearman_aspect"] == pytest.approx(1.0)
    assert "f1_aspect" not in compare and compare.loc[0, "f1_mean"] == 1.0
    # without continuous requests the table keeps its columns
    plain = score_generation(free, scores.assign(pred_aspect=0.3), ["round", "tall"])
    assert list(plain.columns) == ["attribute", "accuracy", "f1", "auc"]


def test_generation_of_the_observed_combinations_only():
    sources = pd.DataFrame(
        {"round": [1.0, 0.0, 1.0, np.nan], "tall": [0.0, 1.0, 0.0, 1.0], "aspect": 0.5}
    )
    cfg = {"n_per_combination": 2, "combinations": "observed"}
    requests = build_requests("generation", cfg, sources, KINDS, seed=0)
    # (1, 0) and (0, 1): the fully labelled rows; the row with an unknown label is ignored
    assert requests["group"].tolist() == ["01", "01", "10", "10"]
