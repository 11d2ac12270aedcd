import numpy as np
import pytest
import torch
from torch import Tensor, nn

from plugen.backbones.torchscript import (
    ScriptedCloudDecoder,
    ScriptedDecoder,
    ScriptedEncoder,
    ScriptedJudge,
    decoder_output,
    load_torchscript,
)

# building the test modules uses torch.jit.script/trace, deprecated in favour of torch.export
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning")


class Flat(nn.Module):
    """z (n, d) -> every pixel of every channel equals z[:, 0]; (n, channels, 2, 3)."""

    def __init__(self, channels: int = 3) -> None:
        super().__init__()
        self.channels = channels

    def forward(self, z: Tensor) -> Tensor:
        return z[:, :1, None, None].expand(-1, self.channels, 2, 3)


class WPlus(nn.Module):
    """W+ z (n, L, d) -> pixels = mean over layers of z[:, :, 0]; fails on 2-d input."""

    def forward(self, w: Tensor) -> Tensor:
        return w[:, :, 0].mean(1)[:, None, None, None].expand(-1, 3, 2, 2)


class Vector(nn.Module):
    def forward(self, z: Tensor) -> Tensor:
        return z.repeat(1, 3)


class Judge(nn.Module):
    """images (n, 3, H, W) -> [10 * mean - 5, mean, mean] (width 3)."""

    def forward(self, x: Tensor) -> Tensor:
        m = x.mean((1, 2, 3))
        return torch.stack([10 * m - 5, m, m], 1)


class MeanEncoder(nn.Module):
    """images (n, 3, H, W) -> (mean, log-variance): mean = [channel means, 2 * overall mean]."""

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        m = x.mean((2, 3))
        mu = torch.cat([m, 2 * m.mean(1, keepdim=True)], 1)
        return mu, torch.zeros_like(mu)


def _save(module: nn.Module, path) -> str:
    torch.jit.save(torch.jit.script(module), str(path))
    return str(path)


def test_decoder_maps_its_range_to_uint8_and_clips(tmp_path):
    dec = ScriptedDecoder(_save(Flat(), tmp_path / "decoder.pt"))
    z = np.array([[0.0, 9], [0.5, 9], [1.0, 9], [2.0, 9], [-1.0, 9]], np.float32)
    images = dec(z)
    assert images.dtype == np.uint8 and images.shape == (5, 2, 3, 3)
    assert images[:, 0, 0, 0].tolist() == [0, 128, 255, 255, 0]
    signed = ScriptedDecoder(tmp_path / "decoder.pt", image_range=(-1.0, 1.0))
    images = signed(np.array([[-1.0, 0], [0.0, 0], [1.0, 0]], np.float32))
    assert images[:, 1, 2, 1].tolist() == [0, 128, 255]


def test_grey_output_becomes_three_equal_channels_in_any_batch_size(tmp_path):
    path = _save(Flat(channels=1), tmp_path / "grey.pt")
    z = np.linspace(0, 1, 7, dtype=np.float32)[:, None].repeat(2, 1)
    images = ScriptedDecoder(path, batch_size=3)(z)
    assert images.shape == (7, 2, 3, 3)
    assert (images == images[..., :1]).all()
    np.testing.assert_array_equal(images, ScriptedDecoder(path)(z))
    assert ScriptedDecoder(path).check(2).shape == (1, 2, 3, 3)


def test_w_plus_decoder_gets_the_latent_at_every_layer(tmp_path):
    path = _save(WPlus(), tmp_path / "w.pt")
    images = ScriptedDecoder(path, layers=4)(np.array([[0.2, 5.0], [1.0, 5.0]], np.float32))
    assert images[:, 0, 0].tolist() == [[51, 51, 51], [255, 255, 255]]
    with pytest.raises(ValueError, match=r"w.pt: the decoder failed on input of shape \(1, 2\)"):
        ScriptedDecoder(path).check(2)


@pytest.mark.parametrize(
    "module, match",
    [
        (Vector(), r"output has shape \(1, 12\), expected \(1, C, H, W\) images"),
        (Flat(channels=2), r"output has shape \(1, 2, 2, 3\), expected"),
    ],
)
def test_decoder_with_a_wrong_output_shape_fails_its_check(tmp_path, module, match):
    dec = ScriptedDecoder(_save(module, tmp_path / "decoder.pt"))
    with pytest.raises(ValueError, match=match) as err:
        dec.check(4)
    assert str(err.value).startswith(str(tmp_path / "decoder.pt"))


def test_files_that_are_missing_or_not_torchscript(tmp_path):
    with pytest.raises(FileNotFoundError, match="dec.pt: no such decoder file"):
        ScriptedDecoder(tmp_path / "dec.pt")
    torch.save(nn.Linear(2, 2).state_dict(), tmp_path / "weights.pt")
    with pytest.raises(ValueError, match="weights.pt: not a TorchScript decoder") as err:
        ScriptedDecoder(tmp_path / "weights.pt")
    assert "\n" not in str(err.value)
    (tmp_path / "junk.pt").write_text("junk")
    with pytest.raises(ValueError, match="junk.pt: not a TorchScript judge"):
        load_torchscript(tmp_path / "junk.pt", "judge")


def test_traced_modules_load_too(tmp_path):
    traced = torch.jit.trace(Flat(), torch.zeros(1, 2))
    torch.jit.save(traced, str(tmp_path / "traced.pt"))
    assert ScriptedDecoder(tmp_path / "traced.pt")(np.ones((2, 2), np.float32)).max() == 255


def test_judge_gives_sigmoid_for_binary_and_raw_values_for_continuous(tmp_path):
    path = _save(Judge(), tmp_path / "judge.pt")
    kinds = {"smile": "binary", "bright": "continuous", "tone": "continuous"}
    judge = ScriptedJudge(path, ["smile", "bright", "tone"], kinds)
    images = np.stack([np.zeros((4, 4, 3), np.uint8), np.full((4, 4, 3), 255, np.uint8)])
    preds = judge(images)
    assert list(preds.columns) == ["pred_smile", "pred_bright", "pred_tone"]
    assert (preds.dtypes == np.float32).all()
    np.testing.assert_allclose(preds["pred_smile"], [1 / (1 + np.exp(5)), 1 / (1 + np.exp(-5))])
    np.testing.assert_allclose(preds["pred_bright"], [0.0, 1.0])
    signed = ScriptedJudge(
        path, ["s", "b", "t"], dict.fromkeys("sbt", "continuous"), image_range=(-1, 1)
    )
    np.testing.assert_allclose(signed(images)["pred_b"], [-1.0, 1.0])
    assert len(judge.check(np.repeat(images, 3, 0))) == 2


def test_judge_with_the_wrong_width_or_a_missing_kind(tmp_path):
    path = _save(Judge(), tmp_path / "judge.pt")
    judge = ScriptedJudge(path, ["smile", "age"], {"smile": "binary", "age": "continuous"})
    with pytest.raises(
        ValueError, match="judge.pt: output has width 3, classifier_outputs names 2 attributes"
    ):
        judge.check(np.zeros((1, 4, 4, 3), np.uint8))
    with pytest.raises(ValueError, match=r"no kind given for judge output\(s\) \['age'\]"):
        ScriptedJudge(path, ["smile", "age"], {"smile": "binary"})
    with pytest.raises(ValueError, match="images must be uint8"):
        judge(np.zeros((1, 4, 4, 3), np.float32))


def test_encoder_reads_its_range_keeps_the_mean_and_names_a_failing_file(tmp_path):
    path = _save(MeanEncoder(), tmp_path / "encoder.pt")
    images = np.zeros((5, 4, 4, 3), np.uint8)
    images[1], images[2, ..., 0] = 255, 255
    z = ScriptedEncoder(path, image_range=(-1.0, 1.0), batch_size=2)(images)
    assert z.dtype == np.float32 and z.shape == (5, 4)
    np.testing.assert_allclose(z[:3], [[-1, -1, -1, -2], [1, 1, 1, 2], [1, -1, -1, -2 / 3]])
    with pytest.raises(ValueError, match=r"^.*flat\.pt: the encoder failed on input of shape"):
        ScriptedEncoder(_save(WPlus(), tmp_path / "flat.pt"))(images)


class Segment(nn.Module):
    """z (n, d) -> clouds (n, 5, 3): points t * (z0, z1, 0) for t = 0, 0.25, ..., 1."""

    def forward(self, z: Tensor) -> Tensor:
        t = torch.linspace(0, 1, 5)[None, :, None]
        end = torch.stack([z[:, 0], z[:, 1], torch.zeros_like(z[:, 0])], 1)
        return t * end[:, None, :]


class Extent(nn.Module):
    """clouds (n, P, 3) -> [max x, max |y|]."""

    def forward(self, x: Tensor) -> Tensor:
        return torch.stack([x[:, :, 0].amax(1), x[:, :, 1].abs().amax(1)], 1)


def test_cloud_decoder_gives_float_clouds_in_any_batch_size(tmp_path):
    path = _save(Segment(), tmp_path / "cloud.pt")
    assert decoder_output(path, 2) == "cloud"
    assert decoder_output(_save(Flat(), tmp_path / "flat.pt"), 2) == "image"
    z = np.array([[1.0, 2.0], [-1.0, 0.5], [3.0, 0.0]], np.float32)
    clouds = ScriptedCloudDecoder(path)(z)
    assert clouds.dtype == np.float32 and clouds.shape == (3, 5, 3)
    np.testing.assert_allclose(clouds[:, -1], [[1, 2, 0], [-1, 0.5, 0], [3, 0, 0]])
    np.testing.assert_array_equal(ScriptedCloudDecoder(path, batch_size=2)(z), clouds)
    assert ScriptedCloudDecoder(path).check(2).shape == (1, 5, 3)


def test_cloud_decoder_of_images_or_nan_fails_in_one_line(tmp_path):
    with pytest.raises(ValueError, match=r"flat.pt: output has shape \(1, 3, 2, 3\), expected"):
        ScriptedCloudDecoder(_save(Flat(), tmp_path / "flat.pt")).check(2)
    with pytest.raises(ValueError, match="NaN or infinite coordinates"):
        ScriptedCloudDecoder(_save(Segment(), tmp_path / "cloud.pt"))(np.full((1, 2), np.nan))


def test_judge_of_clouds_reads_float_clouds(tmp_path):
    path = _save(Extent(), tmp_path / "extent.pt")
    judge = ScriptedJudge(
        path, ["long", "width"], {"long": "binary", "width": "continuous"}, reads="clouds"
    )
    clouds = ScriptedCloudDecoder(_save(Segment(), tmp_path / "cloud.pt"))(
        np.array([[2.0, -1.5], [-3.0, 0.25]], np.float32)
    )
    preds = judge(clouds)
    np.testing.assert_allclose(preds["pred_long"], [1 / (1 + np.exp(-2)), 0.5])
    np.testing.assert_allclose(preds["pred_width"], [1.5, 0.25])
    with pytest.raises(ValueError, match=r"clouds must be float \(n, P, 3\)"):
        judge(np.zeros((1, 4, 4, 3), np.uint8))
