"""The same seed gives the same bytes: checkpoints hold no wall-clock values or file names."""

import numpy as np
import pytest
import torch

from plugen import PluGeN
from plugen.checkpoint import load_checkpoint, save_checkpoint
from plugen.train import TrainConfig, train


def _fit(z, y, **kw) -> PluGeN:
    m = PluGeN(12, ["a", "b", "h"], {"h": "continuous"}, n_couplings=2, n_layers=2, hidden=16)
    m.fit(z, y, epochs=3, batch_size=128, lr=1e-3, seed=3, **kw)
    return m


def test_the_same_seed_gives_byte_identical_plugin_files(synthetic_latents, tmp_path):
    z, y = synthetic_latents[0][:600], synthetic_latents[1][:600]
    first, second = _fit(z, y), _fit(z, y)
    assert first.history == second.history
    assert set(first.history[0]) == {
        "epoch",
        "train_loss",
        "train_nll_prior",
        "train_logdet",
        "train_nll_labels",
        "val_loss",
        "val_nll_prior",
        "val_logdet",
        "val_nll_labels",
        "lr",
        "sigma",
    }
    first.save(tmp_path / "plugin.pt")
    second.save(tmp_path / "elsewhere" / "other-name.pt")
    assert (tmp_path / "plugin.pt").read_bytes() == (
        tmp_path / "elsewhere" / "other-name.pt"
    ).read_bytes()
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [
        "other-name.pt",
        "plugin.pt",
    ]


def test_a_failed_save_keeps_the_previous_checkpoint(tmp_path):
    save_checkpoint(tmp_path / "c.pt", "fmt", 1, value=1)
    with pytest.raises(Exception):  # noqa: B017 - whatever pickling raises
        save_checkpoint(tmp_path / "c.pt", "fmt", 1, value=lambda: None)
    assert load_checkpoint(tmp_path / "c.pt", "fmt", 1, "test")["value"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]


def test_epoch_seconds_are_logged_not_stored(synthetic_latents, caplog):
    z, y = synthetic_latents[0][:300], synthetic_latents[1][:300]
    with caplog.at_level("INFO"):
        m = _fit(z, y)
    assert all("seconds" not in row for row in m.history)
    epoch_lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("plugen ")]
    assert len(epoch_lines) == 3 and all(" seconds=" in line for line in epoch_lines)


def test_training_resumes_from_its_checkpoint_to_the_same_weights(tmp_path):
    torch.manual_seed(0)
    x = torch.randn(200, 4)
    target = x @ torch.tensor([1.0, -2.0, 0.5, 0.0])

    def loss_fn(module, batch):
        xb, yb = batch
        return {"loss": ((module(xb).squeeze(1) - yb) ** 2).mean()}

    def run(epochs, checkpoint=None):
        torch.manual_seed(1)
        module = torch.nn.Linear(4, 1)
        cfg = TrainConfig(epochs=epochs, batch_size=32, lr=1e-2, patience=None, progress=False)
        hist = train(module, loss_fn, (x, target), cfg, checkpoint=checkpoint)
        return module, hist

    straight, hist = run(4)
    run(2, tmp_path / "state.pt")  # stops after 2 epochs, leaves its state behind
    state = load_checkpoint(tmp_path / "state.pt", "plugen-train-state", 1, "training-state")
    assert state["epoch"] == 1 and len(state["history"]) == 2
    resumed, hist2 = run(4, tmp_path / "state.pt")
    assert hist2.rows == hist.rows
    torch.testing.assert_close(resumed.weight, straight.weight, rtol=0, atol=0)


class _CudaLike(torch.Tensor):
    """A CPU tensor that refuses ``.numpy()`` like a CUDA tensor does until moved to the CPU."""

    def numpy(self, *args, **kwargs):
        raise TypeError("can't convert cuda:0 device type tensor to numpy")

    def cpu(self, *args, **kwargs):
        return self.as_subclass(torch.Tensor)


def test_label_coordinates_move_the_flow_outputs_to_the_cpu(synthetic_latents, monkeypatch):
    z, y = synthetic_latents[0][:300], synthetic_latents[1][:300]
    m = _fit(z, y)
    expected = m.label_coordinates(z[:20])
    encode = m.encode
    monkeypatch.setattr(m, "encode", lambda t: tuple(o.as_subclass(_CudaLike) for o in encode(t)))
    got = m.label_coordinates(z[:20])
    assert set(got) == {"a", "b", "h"}
    for name in got:
        assert type(got[name]) is np.ndarray and got[name].shape == (20,)
        np.testing.assert_array_equal(got[name], expected[name])
    assert np.all((expected["a"] >= 0) & (expected["a"] <= 1))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_label_coordinates_with_the_flow_on_cuda(synthetic_latents):
    z, y = synthetic_latents[0][:300], synthetic_latents[1][:300]
    m = _fit(z, y)
    on_cpu = m.label_coordinates(z[:20])
    m.to("cuda")
    for source in (z[:20], torch.from_numpy(z[:20])):
        got = m.label_coordinates(source)
        for name in on_cpu:
            np.testing.assert_allclose(got[name], on_cpu[name], rtol=1e-4, atol=1e-5)
    assert m.nll(z[:20], y[:20]).shape == (20,)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_checkpoint_has_the_same_bytes_from_cuda_and_cpu(tmp_path):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    save_checkpoint(tmp_path / "cpu.pt", "fmt", 1, state_dict=net.state_dict())
    save_checkpoint(tmp_path / "gpu.pt", "fmt", 1, state_dict=net.cuda().state_dict())
    assert (tmp_path / "cpu.pt").read_bytes() == (tmp_path / "gpu.pt").read_bytes()
