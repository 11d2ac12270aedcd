"""The CelebA pieces of Tables 2-3 and the shard reader, on small known inputs."""

import numpy as np
import pandas as pd
import pytest

from plugen import io
from plugen.experiments.celeba_vae import TABLE2_COLUMNS
from plugen.experiments.celeba_vae import tables as celeba
from plugen.labelling import keep_labels_per_image


def test_read_images_reads_shard_rows_and_pngs_in_the_order_given(tmp_path):
    shard = np.arange(3 * 2 * 2 * 3, dtype=np.uint8).reshape(3, 2, 2, 3)
    (tmp_path / "images").mkdir()
    np.save(tmp_path / "images" / "shard_000.npy", shard)
    png = io.write_images(shard[:1] + 100, tmp_path / "png", ["a"])
    got = io.read_images(["images/shard_000.npy#2", *png, "images/shard_000.npy#0"], tmp_path)
    np.testing.assert_array_equal(got, np.stack([shard[2], shard[0] + 100, shard[0]]))
    with pytest.raises(ValueError, match="has 3 images, table asks for #7"):
        io.read_images(["images/shard_000.npy#7"], tmp_path)
    with pytest.raises(ValueError, match="expected 'shard_NNN.npy#index'"):
        io.read_images(["images/shard_000.npy#x"], tmp_path)


def test_k_labels_per_image_hides_the_rest_on_train_and_val_only():
    frame = pd.DataFrame({"split": ["train", "val", "test"] * 4})
    for a in "abcde":
        frame[a] = 1.0
    out = keep_labels_per_image(frame, list("abcde"), 2, seed=0)
    known = out[list("abcde")].notna().sum(axis=1)
    assert list(known) == [2, 2, 5] * 4
    assert frame[list("abcde")].notna().all().all()  # the input is left as it was
    again = keep_labels_per_image(frame, list("abcde"), 2, seed=0)
    pd.testing.assert_frame_equal(out, again)


def test_table2_asks_the_papers_20_pairs_and_scores_both_values():
    sources = pd.DataFrame({"id": ["s1", "s2", "s3"]})
    req = celeba.table2_requests(sources, list(TABLE2_COLUMNS), 2, seed=0)
    assert req["group"].nunique() == 20 and len(req) == 40
    first = req[req["group"] == "female x beard"].iloc[0]
    assert first["target_Male"] == 0.0 and first["target_No_Beard"] == 0.0
    assert np.isnan(first["target_Smiling"])
    # the judge reads every request right, except "male" on the male x beard rows
    scores = pd.DataFrame({"sample_id": req["sample_id"]})
    for a in TABLE2_COLUMNS:
        scores[f"pred_{a}"] = np.where(np.isnan(req[f"target_{a}"]), 0.5, req[f"target_{a}"])
    scores.loc[(req["group"] == "male x beard").to_numpy(), "pred_Male"] = 0.1
    table = celeba.score_table2(req, scores).set_index("Requested value")
    assert table.loc["male x beard", "accuracy"] == 0.0
    assert table.loc["female x bald", "accuracy"] == 1.0
    assert table.loc["Average Acc", "accuracy"] == pytest.approx(19 / 20)
    assert table.loc["Average Acc", "PluGeN"] == 0.69 and table.loc["male x beard", "MSP"] == 0.79


def test_table3_puts_the_mean_f1_and_auc_beside_the_papers_rows():
    gen = pd.DataFrame(
        {"attribute": ["Male", "mean"], "accuracy": [0.9, 0.9], "f1": [0.5, 0.5], "auc": [0.8, 0.8]}
    )
    t3 = celeba.table3(gen)
    assert list(t3["Metric"]) == ["F1", "AUC"] and list(t3["ours"]) == [0.5, 0.8]
    assert list(t3["PluGeN"]) == [0.44, 0.76] and list(t3["cVAE"]) == [0.39, 0.73]
