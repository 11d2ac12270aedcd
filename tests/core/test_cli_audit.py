"""Bad input to the ``plugen`` verbs that an audit found unclear: each is refused with exit code
2 and one line on stderr, or goes on with one warning line, on tiny fabricated files."""

import logging

import numpy as np
import pytest
import torch
from torch import Tensor, nn

from plugen.cli import main
from plugen.model import PluGeN

# building the test modules uses torch.jit.script, deprecated in favour of torch.export
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning")

D = 6


class ImageModel(nn.Module):
    """A decision model on images (n, C, H, W): fails on latents (n, d)."""

    def forward(self, x: Tensor) -> Tensor:
        return x.mean((1, 2, 3))


class Bytes(nn.Module):
    """A decoder whose pixels are 0..255: z (n, d) -> (n, 3, 2, 2), all 128 + z[:, 0]."""

    def forward(self, z: Tensor) -> Tensor:
        return (128.0 + z[:, :1, None, None]).expand(-1, 3, 2, 2)


@pytest.fixture
def files(tmp_path, monkeypatch):
    """An untrained plugin (a, h) of width D, 5 latents and 40 training latents with labels."""
    monkeypatch.chdir(tmp_path)
    torch.manual_seed(0)
    plugin = PluGeN(D, ["a", "h"], {"h": "continuous"}, hidden=8, n_couplings=2, n_layers=2)
    plugin.save(tmp_path / "plugin.pt")
    rng = np.random.default_rng(0)
    np.save(tmp_path / "z.npy", rng.normal(size=(5, D)).astype(np.float32))
    z = rng.normal(size=(40, D)).astype(np.float32)
    np.save(tmp_path / "train.npy", z)
    np.save(tmp_path / "w.npy", np.stack([z, 2 * z], 1))  # W+ (40, 2, D)
    rows = [f"{int(v > 0)},{v:.3f}" for v in z[:, 0]]
    (tmp_path / "labels.csv").write_text("a,h\n" + "\n".join(rows) + "\n")
    return tmp_path


def _refused(capsys, argv: list[str]) -> str:
    """Run ``plugen argv``: it must exit 2 with one line on stderr; returns that line."""
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def _train(*args: str) -> list[str]:
    return ["train", *args, "--out", "p.pt", "--epochs", "1", "--hidden", "8", "--device", "cpu"]


def test_image_decision_model_given_latents_is_one_line(files, capsys):
    torch.jit.script(ImageModel()).save("f.pt")
    argv = ["explain", "--plugin", "plugin.pt", "--model", "f.pt", "--latents", "z.npy"]
    line = _refused(capsys, [*argv, "--out", "cf.parquet", "--device", "cpu"])
    assert line == (
        "plugen explain: f.pt: the decision model failed on input of shape (5, 6): "
        "RuntimeError: Dimension out of range (expected to be in range of [-2, 1], but got 2)"
    )


def test_negative_temperature_is_refused_and_zero_is_the_mode(files, capsys):
    argv = ["generate", "--plugin", "plugin.pt", "--out", "g.npy", "--n", "3"]
    line = _refused(capsys, [*argv, "--temperature", "-1"])
    assert line == "plugen generate: --temperature must be >= 0 (0: the mode), got -1.0"
    assert not (files / "g.npy").exists()
    assert main([*argv, "--temperature", "0", "--set", "a=1", "--set", "h=0"]) == 0
    plugin = PluGeN.load(files / "plugin.pt")
    style = np.asarray(plugin.encode(torch.from_numpy(np.load(files / "g.npy")))[1])
    np.testing.assert_allclose(style, 0.0, atol=1e-4)  # temperature 0: the style's mode
    with pytest.raises(ValueError, match=r"^temperature must be >= 0 \(0: the mode\), got -0.5$"):
        plugin.generate({}, n=2, temperature=-0.5)


def test_truncated_plugin_is_named_truncated_with_the_reason(files, capsys):
    data = (files / "plugin.pt").read_bytes()
    (files / "trunc.pt").write_bytes(data[: len(data) // 2])
    assert _refused(capsys, ["info", "trunc.pt"]) == (
        "plugen info: trunc.pt: PluGeN checkpoint file is truncated or corrupt (RuntimeError: "
        "PytorchStreamReader failed reading zip archive: failed finding central directory)"
    )
    (files / "notes.pt").write_text("not a checkpoint\n")
    assert _refused(capsys, ["info", "notes.pt"]).startswith(
        "plugen info: notes.pt: not a PluGeN checkpoint (UnpicklingError: "
    )


def test_more_label_columns_than_latent_width_names_both_files(files, capsys):
    np.save(files / "narrow.npy", np.load(files / "train.npy")[:, :2])
    line = _refused(capsys, _train("--latents", "narrow.npy", "--labels", "labels.csv"))
    assert line == (
        "plugen train: labels.csv: 2 label column(s) but the latents in narrow.npy have width "
        "2; PluGeN needs fewer attributes than the latent width: drop label columns or use "
        "wider latents"
    )
    assert not (files / "p.pt").exists()


def _warnings(caplog, argv: list[str]) -> list[str]:
    """Run the CLI (it must succeed) and return the warning lines it logged."""
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert main(argv) == 0
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_w_plus_latents_in_train_warn_with_shape_and_policy(files, caplog):
    assert _warnings(caplog, _train("--latents", "w.npy", "--labels", "labels.csv")) == [
        "w.npy: latents of shape (40, 2, 6) are read as W+ (n, L, d) and reduced to (n, d) by "
        "--w-plus first (layer 0 kept); --w-plus first|mean picks the policy"
    ]


def test_two_valued_label_column_warns_how_to_make_it_binary(files, caplog):
    text = (files / "labels.csv").read_text().splitlines()
    rows = [f"{2 * int(r.split(',')[0])},{r.split(',')[1]}" for r in text[1:]]
    (files / "labels02.csv").write_text("a,h\n" + "\n".join(rows) + "\n")
    assert _warnings(caplog, _train("--latents", "train.npy", "--labels", "labels02.csv")) == [
        "attribute 'a' has the two values 0 and 2 and is taken as continuous; recode it to "
        "0/1 to make it binary, or declare it continuous in kinds (a=continuous) to keep it so"
    ]


def test_decoder_range_mismatch_warns_and_the_right_range_does_not(files, caplog):
    torch.jit.script(Bytes()).save("dec.pt")
    argv = ["generate", "--plugin", "plugin.pt", "--out", "g.npy", "--n", "2", "--decoder"]
    argv += ["dec.pt", "--images", "img"]
    assert _warnings(caplog, argv) == [
        "dec.pt: 100% of the pixels the decoder gives a zero latent fall outside the image range "
        "[0, 1] (they span 128 to 128); set --image-range (plugen) or image_range (workflow) to "
        "the decoder's output range"
    ]
    assert _warnings(caplog, [*argv, "--image-range", "0", "255"]) == []
