import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from torch import Tensor, nn

from plugen.cli import main, synthetic_labels, synthetic_task
from plugen.data.user import read_latents, write_latents
from tests.paths import ROOT

DIM = 8


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "plugen.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


class FirstCoordinate(nn.Module):
    """A decoder: z (n, d) -> (n, 3, 4, 4) images, every pixel sigmoid(z[:, 0])."""

    def forward(self, z: Tensor) -> Tensor:
        return torch.sigmoid(z[:, :1, None, None]).expand(-1, 3, 4, 4)


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """A folder with a plugin trained by ``plugen train`` (labels a function of z; parquet
    latents with ids; labels csv in another row order, b coded -1/1, 30% of a unknown),
    held-out latents ``test.npy`` and the train command's stdout."""
    d = tmp_path_factory.mktemp("cli")
    z, y = synthetic_task(2000, DIM, 0)
    ids = [f"x{i}" for i in range(len(z))]
    write_latents(d / "z.parquet", z, ids)
    labels = pd.DataFrame({"id": ids, "a": y[:, 0], "b": 2 * y[:, 1] - 1, "h": y[:, 2]})
    labels.loc[np.random.default_rng(1).random(len(z)) < 0.3, "a"] = np.nan
    labels.sample(frac=1.0, random_state=2).to_csv(d / "labels.csv", index=False)
    np.save(d / "test.npy", synthetic_task(400, DIM, 7)[0])
    return d


@pytest.fixture(scope="module")
def trained(work):
    """``plugen train`` run from the shell; returns its stdout."""
    run = _cli(
        "train", "--latents", "z.parquet", "--labels", "labels.csv", "--out", "plugin.pt",
        "--epochs", "15", "--lr", "3e-3", "--device", "cpu", cwd=work,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_train_reports_kinds_flow_and_held_out_accuracy(work, trained):
    assert "a (binary), b (binary), h (continuous)" in trained
    assert "flow nice 6 couplings x 4 layers, hidden 256, sigma 0.4" in trained
    accuracies = [float(x.split()[0].rstrip(",")) for x in trained.split("accuracy ")[1:]]
    assert len(accuracies) == 2 and min(accuracies) >= 0.9
    assert (work / "plugin.pt").exists()


def test_round_trip_generate_manipulate_encode(work, trained):
    """train (the fixture) -> generate -> manipulate -> encode, each through the shell."""
    run = _cli(
        "generate", "--plugin", "plugin.pt", "--set", "a=1", "--set", "b=0", "--n", "400",
        "--seed", "3", "--out", "gen.npy", "--device", "cpu", cwd=work,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    gen = np.load(work / "gen.npy")
    assert gen.shape == (400, DIM)
    lab = synthetic_labels(gen)
    assert np.mean(lab[:, 0] == 1) >= 0.9 and np.mean(lab[:, 1] == 0) >= 0.9

    run = _cli(
        "manipulate", "--plugin", "plugin.pt", "--latents", "gen.npy", "--set", "a=0",
        "--out", "edited.parquet", "--device", "cpu", cwd=work,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    edited, ids = read_latents(work / "edited.parquet")
    assert ids == [str(i) for i in range(400)]
    after = synthetic_labels(edited)
    assert np.mean(after[:, 0] == 0) >= 0.9  # flipped
    assert np.mean(after[:, 1] == lab[:, 1]) >= 0.9  # kept

    run = _cli(
        "encode", "--plugin", "plugin.pt", "--latents", "test.npy", "--out", "enc.csv", cwd=work
    )
    assert run.returncode == 0, run.stderr
    enc = pd.read_csv(work / "enc.csv")
    assert list(enc.columns) == ["id", "a", "b", "h", "p_a", "p_b"]
    truth = synthetic_labels(np.load(work / "test.npy"))
    assert np.mean(enc["a"] == truth[:, 0]) >= 0.9 and np.mean(enc["b"] == truth[:, 1]) >= 0.9
    assert np.array_equal(enc["a"], (enc["p_a"] >= 0.5).astype(int))
    assert np.mean(np.abs(enc["h"] - truth[:, 2])) < 0.4


def test_generate_from_the_shell(work, trained):
    run = _cli(
        "generate", "--plugin", "plugin.pt", "--set", "a=1", "--n", "50", "--out", "shell.npy",
        cwd=work,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "wrote (50, 8) latents to shell.npy" in run.stdout
    assert np.mean(synthetic_labels(np.load(work / "shell.npy"))[:, 0] == 1) >= 0.9


def test_manipulate_keeps_and_generate_writes_the_w_plus_shape(work, trained):
    test = np.load(work / "test.npy")
    w = np.stack([test, test + 0.01, test - 0.01], 1)  # (n, 3, d)
    np.save(work / "w.npy", w)
    rc = main(
        ["manipulate", "--plugin", str(work / "plugin.pt"), "--latents", str(work / "w.npy")]
        + ["--set", "a=1", "--out", str(work / "w2.npy"), "--device", "cpu"]
    )
    assert rc == 0
    out = np.load(work / "w2.npy")
    assert out.shape == (400, 3, DIM)
    assert np.array_equal(out[:, 0], out[:, 2])
    assert np.mean(synthetic_labels(out[:, 0])[:, 0] == 1) >= 0.9
    rc = main(
        ["generate", "--plugin", str(work / "plugin.pt"), "--set", "a=1", "--n", "20"]
        + ["--w-plus-layers", "4", "--out", str(work / "gw.parquet"), "--device", "cpu"]
    )
    assert rc == 0
    gw = read_latents(work / "gw.parquet")[0]
    assert gw.shape == (20, 4, DIM) and np.array_equal(gw[:, 0], gw[:, 3])


@pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning")
def test_generate_decodes_images_through_a_torchscript_decoder(work, trained):
    torch.jit.save(torch.jit.script(FirstCoordinate()), str(work / "dec.pt"))
    rc = main(
        ["generate", "--plugin", str(work / "plugin.pt"), "--set", "h=1.5", "--n", "5"]
        + ["--out", str(work / "g.parquet"), "--decoder", str(work / "dec.pt")]
        + ["--images", str(work / "img"), "--device", "cpu"]
    )
    assert rc == 0
    z, ids = read_latents(work / "g.parquet")
    names = sorted(p.name for p in (work / "img").iterdir())
    assert names == sorted([*(f"{i}.png" for i in ids), "contact_sheet.png"])
    from PIL import Image

    from plugen.io import read_images

    images = read_images([f"img/{i}.png" for i in ids], work)
    expected = np.round(255 / (1 + np.exp(-z[:, 0])))
    np.testing.assert_array_equal(images[:, 2, 3, 1], expected)
    # the 4x4 images at a viewable size: 16x nearest upscaling, 5 tiles in a row, 1 px gaps
    sheet = np.asarray(Image.open(work / "img" / "contact_sheet.png").convert("RGB"))
    assert sheet.shape == (64, 5 * 64 + 4, 3)
    np.testing.assert_array_equal(sheet[:64, 65:129], np.kron(images[1], np.ones((16, 16, 1))))


class Stick(nn.Module):
    """A point-cloud decoder: z (n, d) -> (n, 4, 3), points t * (z0, 0, 0), t = 0, 1/3, 2/3, 1."""

    def forward(self, z: Tensor) -> Tensor:
        t = torch.linspace(0, 1, 4)[None, :, None]
        return t * torch.nn.functional.pad(z[:, :1], (0, 2))[:, None, :]


@pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning")
def test_generate_writes_clouds_and_their_renderings_for_a_point_cloud_decoder(work, trained):
    from plugen.io import read_clouds

    torch.jit.save(torch.jit.script(Stick()), str(work / "stick.pt"))
    rc = main(
        ["generate", "--plugin", str(work / "plugin.pt"), "--set", "h=1.5", "--n", "5"]
        + ["--out", str(work / "gc.parquet"), "--decoder", str(work / "stick.pt")]
        + ["--images", str(work / "clouds"), "--device", "cpu"]
    )
    assert rc == 0
    z, ids = read_latents(work / "gc.parquet")
    clouds = read_clouds([f"clouds/clouds.npy#{i}" for i in range(5)], work)
    np.testing.assert_allclose(clouds[:, -1], np.c_[z[:, 0], np.zeros((5, 2))], atol=1e-6)
    assert all((work / "clouds" / f"{i}.png").exists() for i in ids)


def test_info_describes_the_plugin(work, trained, capsys):
    assert main(["info", str(work / "plugin.pt")]) == 0
    text = capsys.readouterr().out
    for line in (
        "a  binary",
        "h  continuous",
        "latent width: 8 (3 label + 5 style coordinates)",
        "flow: 6 additive couplings x 4 layers, hidden 256",
        "sigma: 0.4",
        "best val loss",
    ):
        assert line in text
    epochs = int(text.split("training: ")[1].split()[0])
    assert 1 <= epochs <= 15


def test_help_lists_every_verb(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    for verb in ("train", "generate", "manipulate", "encode", "info", "demo", "inpaint"):
        assert verb in text
    with pytest.raises(SystemExit):
        main(["generate", "--help"])
    assert "--set NAME=VALUE" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["generate", "--set", "smile=1"], "plugen generate: --set smile=1: unknown attribute"),
        (["generate", "--set", "a=2"], "'a' is binary, expected 0 or 1"),
        (["generate", "--set", "h=inf"], "'h' is continuous, expected a finite number"),
        (["generate", "--set", "h=tall"], "'h' is continuous, expected a finite number"),
        (["manipulate", "--latents", "narrow.npy", "--set", "a=1"], "narrow.npy: latents have "
         "width 6, the plugin expects 8"),
        (["manipulate", "--latents", "labels.csv", "--set", "a=1"], "labels.csv: unknown "
         "latents format"),
        (["manipulate", "--latents", "nothere.npy", "--set", "a=1"], "nothere.npy: no such"),
        (["generate", "--plugin", "missing.pt"], "missing.pt: no such PluGeN checkpoint"),
        (["generate", "--plugin", "test.npy"], "test.npy: not a PluGeN checkpoint"),
        (["generate", "--decoder", "plugin.pt", "--images", "img"], "plugin.pt: not a "
         "TorchScript decoder"),
        (["encode", "--latents", "test.npy"], "out.npy: --out must end in .csv"),
        (["train", "--latents", "test.npy", "--labels", "nolabels.csv"], "nolabels.csv: no "
         "such labels file"),
    ],
)  # fmt: skip
def test_bad_input_exits_2_with_one_line(work, trained, capsys, monkeypatch, argv, expected):
    monkeypatch.chdir(work)
    np.save(work / "narrow.npy", np.zeros((3, 6), np.float32))
    verb, rest = argv[0], argv[1:]
    defaults = {"--plugin": "plugin.pt", "--out": "out.npy"}
    if verb == "train":
        defaults = {"--out": "never.pt"}
    for flag, value in defaults.items():
        if flag not in rest:
            rest += [flag, value]
    assert main([verb, *rest]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith(f"plugen {verb}: ")
    assert expected in err
    assert not (work / "out.npy").exists()


def test_bad_input_from_the_shell_is_one_line_without_traceback(work, trained):
    run = _cli("generate", "--plugin", "plugin.pt", "--set", "smile=1", "--out", "x.npy", cwd=work)
    assert run.returncode == 2
    assert run.stderr.strip() == (
        "plugen generate: --set smile=1: unknown attribute 'smile'; the plugin has a, b, h"
    )


def test_train_on_posterior_samples_from_a_spread_file(work, tmp_path, capsys):
    from plugen import PluGeN

    z, _ = read_latents(work / "z.parquet")
    np.save(tmp_path / "std.npy", np.full(z.shape, 0.1, np.float32))
    out = tmp_path / "plugin.pt"
    code = main(
        ["train", "--latents", str(work / "z.parquet"), "--labels", str(work / "labels.csv"),
         "--latents-std", str(tmp_path / "std.npy"), "--out", str(out), "--epochs", "2"]
    )  # fmt: skip
    assert code == 0 and "with a posterior spread (training on samples)" in capsys.readouterr().out
    # standardized by the aggregate posterior of the rows it trained on: var(z) + 0.1^2
    fit_rows = PluGeN.load(out).stats.z_std
    assert np.all(np.asarray(fit_rows) > z.std(0) * 0.9)
    assert np.allclose(fit_rows, np.sqrt(z.var(0) + 0.01), rtol=0.1)
    np.save(tmp_path / "bad.npy", np.full((3, DIM), 0.1, np.float32))
    code = main(
        ["train", "--latents", str(work / "z.parquet"), "--labels", str(work / "labels.csv"),
         "--latents-std", str(tmp_path / "bad.npy"), "--out", str(out), "--epochs", "2"]
    )  # fmt: skip
    assert code == 2


def test_inpaint_fills_the_hidden_half_keeps_the_rest_and_refuses_bad_input(
    work, trained, capsys, monkeypatch
):
    from PIL import Image

    torch.jit.save(torch.jit.script(FirstCoordinate()), work / "first.pt")
    (work / "faces").mkdir(exist_ok=True)
    for i, v in enumerate((40, 200)):
        Image.fromarray(np.full((4, 4, 3), v, np.uint8)).save(work / "faces" / f"f{i}.png")
    common = ["--plugin", str(work / "plugin.pt"), "--decoder", str(work / "first.pt")]
    common += ["--images", str(work / "faces"), "--steps", "30", "--device", "cpu"]
    out = work / "fills"
    assert main(["inpaint", *common, "--mask", "half", "--k", "2", "--out", str(out)]) == 0
    assert "wrote 2 x 2 fillings" in capsys.readouterr().out
    assert np.load(out / "latents.npy").shape == (2, 2, DIM)
    fill = np.asarray(Image.open(out / "f1_1.png"))
    assert (fill[:2] == 200).all()  # the observed upper half is kept
    assert abs(int(fill[3, 0, 0]) - 200) < 40  # the lower half: the decoder's uniform image
    assert (out / "sheet.png").exists()
    np.save(work / "wide.npy", np.ones((8, 8), np.float32))
    for extra, expected in (
        (["--mask", "wide.npy"], "wide.npy: mask has shape (2, 8, 8), expected (4, 4)"),
        (["--mask", "half", "--set", "smile=1"], "unknown attribute 'smile'"),
        (["--mask", "half", "--set", "a=1", "--prior", "l2"], "--set needs --prior plugen"),
    ):
        monkeypatch.chdir(work)
        assert main(["inpaint", *common, *extra, "--out", str(work / "no")]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and expected in err, err
