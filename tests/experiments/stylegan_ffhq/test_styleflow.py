"""StyleFlow FFHQ readers on fabricated files with the real structure, and their refusals."""

import os
import pickle

import numpy as np
import pandas as pd
import pytest

from plugen.experiments.stylegan_ffhq import styleflow

N = 6


def _latents(n=N, seed=0):
    return [
        np.random.default_rng(seed + i).normal(size=(1, 18, 512)).astype(np.float32)
        for i in range(n)
    ]


def _attributes(n=N):
    a = np.zeros((n, 8, 1), dtype=np.float64)
    a[:, 0, 0] = [1, 0, 1, 0, 1, 0]  # Gender
    a[:, 1, 0] = [0, 1, 0, 0, 1, 0]  # Glasses
    a[:, 2, 0] = np.linspace(-20, 20, n)  # Yaw
    a[:, 3, 0] = np.linspace(-5, 5, n)  # Pitch
    a[:, 4, 0] = [0.01, 0.9, 0.5, 0.49, 0.0, 0.7]  # Baldness
    a[:, 5, 0] = [0.0, 0.6, 0.1, 0.5, 0.2, 0.0]  # Beard
    a[:, 6, 0] = [25, 31, 40, 52, 63, 70]  # Age
    a[:, 7, 0] = [1.0, 0.0, 0.3, 0.8, 0.5, np.nan]  # Expression
    return a


@pytest.mark.parametrize("protocol", [3, pickle.HIGHEST_PROTOCOL])
def test_pickle_of_latent_lists_is_stacked_in_order(tmp_path, protocol):
    lat = _latents()
    path = tmp_path / "sg2latents.pickle"
    with open(path, "wb") as fh:
        pickle.dump({"Latent": lat, "Filenames": [f"{i}.png" for i in range(N)]}, fh, protocol)
    w = styleflow.read_latents(path)
    assert w.shape == (N, 18, 512) and w.dtype == np.float32
    np.testing.assert_array_equal(w[3], lat[3][0])


def test_npy_latents_of_both_shapes(tmp_path):
    for shape in [(4, 18, 512), (4, 512)]:
        np.save(tmp_path / "w.npy", np.ones(shape, dtype=np.float64))
        w = styleflow.read_latents(tmp_path / "w.npy")
        assert w.shape == shape and w.dtype == np.float32
    np.save(tmp_path / "w.npy", np.ones((4, 3, 4)))
    with pytest.raises(ValueError, match=r"w.npy: latents have shape \(4, 3, 4\), expected"):
        styleflow.read_latents(tmp_path / "w.npy")
    with pytest.raises(FileNotFoundError, match="latent file not found"):
        styleflow.read_latents(tmp_path / "missing.npy")


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > pwned.txt",))


def test_pickle_with_anything_but_arrays_is_refused_unrun(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.pickle"
    path.write_bytes(pickle.dumps({"Latent": [_Evil()]}))
    with pytest.raises(ValueError, match=r"evil.pickle: not a StyleFlow latent pickle \(refuses"):
        styleflow.read_latents(path)
    assert not (tmp_path / "pwned.txt").exists()
    frame = tmp_path / "frame.pickle"
    frame.write_bytes(pickle.dumps(pd.DataFrame({"a": [1]})))
    with pytest.raises(ValueError, match="refuses global pandas"):
        styleflow.read_latents(frame)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ([np.zeros((1, 18, 512))], "expected a dict with a 'Latent' list, got list"),
        ({"latents": []}, r"expected a dict with a 'Latent' list, got \['latents'\]"),
        ({"Latent": []}, "non-empty list of arrays"),
        (
            {"Latent": [np.zeros((1, 18, 256))]},
            r"must be \(1, 18, 512\) arrays, got \['\(1, 18, 256",
        ),
        ({"Latent": [[0.0] * 512]}, "must be"),
    ],
)
def test_pickle_with_unexpected_structure(tmp_path, content, message):
    path = tmp_path / "sg2latents.pickle"
    path.write_bytes(pickle.dumps(content))
    with pytest.raises(ValueError, match=message):
        styleflow.read_latents(path)


def test_attributes_columns_and_shape_errors(tmp_path):
    np.save(tmp_path / "attributes.npy", _attributes())
    attrs = styleflow.read_attributes(tmp_path / "attributes.npy")
    assert list(attrs.columns) == list(styleflow.ATTRIBUTES) and len(attrs) == N
    assert attrs["Age"].tolist() == [25, 31, 40, 52, 63, 70]
    np.save(tmp_path / "bad.npy", np.zeros((N, 7, 1)))
    with pytest.raises(ValueError, match=r"bad.npy: has shape \(6, 7, 1\)"):
        styleflow.read_attributes(tmp_path / "bad.npy")


def test_length_mismatch_between_latents_and_attributes(tmp_path):
    np.save(tmp_path / "w.npy", np.zeros((N + 1, 512), dtype=np.float32))
    np.save(tmp_path / "attributes.npy", _attributes())
    with pytest.raises(ValueError, match="attributes.npy: 6 rows, but .*w.npy has 7 latents"):
        styleflow.read_styleflow(tmp_path / "w.npy", tmp_path / "attributes.npy")
    np.save(tmp_path / "w.npy", np.zeros((N, 512), dtype=np.float32))
    w, attrs = styleflow.read_styleflow(tmp_path / "w.npy", tmp_path / "attributes.npy")
    assert len(w) == len(attrs) == N


def test_binarize_thresholds_binary_and_keeps_continuous(tmp_path):
    attrs = pd.DataFrame(_attributes()[:, :, 0], columns=list(styleflow.ATTRIBUTES))
    labels = styleflow.binarize(attrs)
    assert list(labels.columns) == [
        "male",
        "glasses",
        "bald",
        "facial_hair",
        "smile",
        "age",
        "yaw",
        "pitch",
    ]
    assert labels["male"].tolist() == [1, 0, 1, 0, 1, 0]
    assert labels["bald"].tolist() == [0, 1, 1, 0, 0, 1]  # >= 0.5
    assert labels["facial_hair"].tolist() == [0, 1, 0, 1, 0, 0]
    assert labels["smile"].tolist()[:5] == [1, 0, 0, 1, 1] and np.isnan(labels["smile"].iloc[5])
    assert labels["age"].tolist() == [25, 31, 40, 52, 63, 70]
    custom = styleflow.binarize(attrs, {"Baldness": 0.8, "Beard": 0.05})
    assert custom["bald"].tolist() == [0, 1, 0, 0, 0, 0]
    assert custom["facial_hair"].tolist() == [0, 1, 1, 1, 1, 0]
    with pytest.raises(ValueError, match=r"no binary attribute \['Age'\]"):
        styleflow.binarize(attrs, {"Age": 40})


def test_split_holds_out_the_first_500():
    split = styleflow.split_styleflow(1200)
    assert (split[:500] == "test").all() and (split[500:] == "train").all()
    assert styleflow.split_styleflow(3, n_test=1).tolist() == ["test", "train", "train"]
    with pytest.raises(ValueError, match="n_test=500 must be in"):
        styleflow.split_styleflow(400)
