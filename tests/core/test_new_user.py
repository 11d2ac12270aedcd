"""A new user's path through the CLI (#30): requests the labels do not support are named, the
labels' own val split stops training, --quiet and --threads, grey decoders and judges, and a
TorchScript file given as a plugin."""

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from plugen import PluGeN
from plugen.backbones.torchscript import ScriptedJudge
from plugen.cli import main

N, D = 900, 6


@pytest.fixture(scope="module")
def user(tmp_path_factory):
    """Latents and labels where is_even=0 never has has_loop=1 and ink lies in [1, 5]; a split
    column with 150 val rows; a plugin trained by ``plugen train --quiet``."""
    folder = tmp_path_factory.mktemp("user")
    rng = np.random.default_rng(0)
    even = rng.integers(0, 2, N)
    loop = np.where(even == 1, rng.integers(0, 2, N), 0)
    large = rng.integers(0, 2, N)
    ink = rng.uniform(1, 5, N)
    ink[:2] = 1, 5  # train rows: the labels' range is [1, 5]
    y = np.stack([even, large, loop, ink], 1).astype(np.float32)
    z = (np.c_[y, rng.normal(size=(N, D - 4))] @ rng.normal(size=(D, D))).astype(np.float32)
    split = np.array(["train"] * 650 + ["val"] * 150 + ["test"] * 100)
    labels = pd.DataFrame(y, columns=["is_even", "is_large", "has_loop", "ink"])
    labels["split"] = split
    np.save(folder / "z.npy", z)
    labels.to_csv(folder / "labels.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def trained(user):
    argv = ["train", "--latents", str(user / "z.npy"), "--labels", str(user / "labels.csv")]
    argv += ["--out", str(user / "plugin.pt"), "--epochs", "4", "--quiet", "--threads", "1"]
    return argv


def _run(argv, capsys):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_train_quiet_stops_early_on_the_labels_val_split(user, trained, capsys):
    before = torch.get_num_threads()
    try:
        code, out, err = _run(trained, capsys)
        assert torch.get_num_threads() == 1  # --threads
    finally:
        torch.set_num_threads(before)
    assert code == 0, err
    assert "early stopping on the labels' val split (150 rows)" in out
    assert "epoch" not in err and len(out.splitlines()) <= 7  # no per-epoch lines


def test_fit_validates_on_exactly_the_rows_it_is_given():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(400, 4)).astype(np.float32)
    y = rng.integers(0, 2, (400, 1)).astype(np.float32)
    held = np.zeros(400, dtype=bool)
    held[::4] = True
    m = PluGeN(4, ["a"], n_couplings=2, hidden=16)
    hist = m.fit(z, y, validation=held, epochs=3, seed=0)
    const = np.log(np.asarray(m.stats.z_std)).sum()
    best = min(r["val_loss"] for r in hist)
    np.testing.assert_allclose(m.nll(z[held], y[held]).mean() - const, best, rtol=1e-4)
    with pytest.raises(ValueError, match="validation: expected a boolean mask of shape"):
        m.fit(z, y, validation=np.zeros(400, dtype=bool), epochs=1)


def test_generate_names_values_and_combinations_the_labels_never_show(user, trained, capsys):
    _run(trained, capsys)
    plugin, out = str(user / "plugin.pt"), str(user / "g.npy")
    code, _, err = _run(["generate", "--plugin", plugin, "--set", "ink=9", "--out", out], capsys)
    assert code == 0
    assert err.strip().startswith("plugen generate: warning: ink=9 is outside the training labels")
    assert "range [1, 5]: an extrapolation" in err
    argv = ["generate", "--plugin", plugin, "--set", "is_even=0", "--set", "has_loop=1"]
    code, _, err = _run([*argv, "--out", out], capsys)
    assert "is_even=0 & has_loop=1 never occurs in the training labels (0 of 800" in err
    code, _, err = _run(
        ["generate", "--plugin", plugin, "--set", "is_even=0", "--out", out], capsys
    )
    assert "with is_large, has_loop drawn freely" in err and "% of samples fall in" in err
    code, _, err = _run(
        ["generate", "--plugin", plugin, "--set", "is_even=1", "--out", out], capsys
    )
    assert err == ""  # every combination with is_even=1 occurs


def test_manipulate_warns_only_for_the_requested_combination(user, trained, capsys):
    _run(trained, capsys)
    argv = ["manipulate", "--plugin", str(user / "plugin.pt"), "--latents", str(user / "z.npy")]
    code, _, err = _run([*argv, "--set", "has_loop=1", "--out", str(user / "m.npy")], capsys)
    assert code == 0 and err == ""  # has_loop=1 occurs; the sources keep their is_even
    code, _, err = _run(
        [*argv, "--set", "is_even=0", "--set", "has_loop=1", "--out", str(user / "m.npy")], capsys
    )
    assert "warning: is_even=0 & has_loop=1 never occurs" in err


def test_info_prints_label_ranges_and_combinations(user, trained, capsys):
    _run(trained, capsys)
    code, out, _ = _run(["info", str(user / "plugin.pt")], capsys)
    assert code == 0
    assert "labels in [1, 5]" in out
    assert "binary combinations in the labels: 6 of 8 (800 fully labelled rows)" in out
    assert "temperature" in out and "best val loss" in out


def test_a_torchscript_file_as_plugin_is_one_line(tmp_path, capsys):
    path = tmp_path / "decoder.pt"
    torch.jit.script(nn.Linear(3, 2)).save(str(path))
    code, out, err = _run(["info", str(path)], capsys)
    assert code == 2
    assert err == f"plugen info: {path}: a TorchScript module, not a PluGeN checkpoint\n"


class GreyJudge(nn.Module):
    """images (n, 1, H, W) -> (n, 1): refuses anything but one channel, as a grey model does."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x).mean((1, 2, 3))[:, None]


def test_a_grey_judge_reads_the_first_of_the_stored_channels(tmp_path):
    path = tmp_path / "judge.pt"
    torch.jit.script(GreyJudge()).save(str(path))
    images = np.random.default_rng(0).integers(0, 256, (5, 4, 4, 1), dtype=np.uint8)
    images = np.repeat(images, 3, axis=-1)  # a grey decoder's images, stored as RGB
    preds = ScriptedJudge(path, ["a"], {"a": "continuous"}, channels=1)(images)
    assert preds.shape == (5, 1)
    with pytest.raises(ValueError, match="judge"):
        ScriptedJudge(path, ["a"], {"a": "continuous"})(images)  # 3 channels: refused


def test_evaluate_names_what_it_needs(user, trained, capsys):
    _run(trained, capsys)
    code, _, err = _run(["evaluate", "--plugin", str(user / "plugin.pt")], capsys)
    assert code == 2
    assert err == (
        "plugen evaluate: needs --latents, --labels, --decoder, --judge (or a --config whose "
        "custom section has them)\n"
    )


def test_manipulation_rows_say_whether_the_edit_lands_in_a_combination_of_the_labels():
    from plugen.tasks import score_manipulation

    # training labels: a=0 never has b=1
    sources = pd.DataFrame(
        {
            "id": ["s0", "s1", "t0", "t1"],
            "split": ["train", "train", "test", "test"],
            "a": [0.0, 1.0, 1.0, 0.0],
            "b": [0.0, 1.0, 1.0, 0.0],
        }
    )
    requests = pd.DataFrame(
        {
            "sample_id": ["x", "y"],
            "source_id": ["t0", "t1"],
            "group": ["a+b", "a+b"],
            "target_a": [0.0, 1.0],
            "target_b": [1.0, 1.0],
        }
    )
    scores = pd.DataFrame({"sample_id": ["x", "y"], "pred_a": [0.1, 0.9], "pred_b": [0.9, 0.9]})
    table = score_manipulation(requests, scores, sources, ["a", "b"], heldout=())
    overall = table[table["pair"] == "all"].set_index("combination")
    assert overall.loc["unseen", "n"] == 1 and overall.loc["seen", "n"] == 1
