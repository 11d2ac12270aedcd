"""The generation sweep: every method answers the same requests at every temperature."""

import numpy as np
import pandas as pd
import pytest

from plugen.evaluate.sweep import generation_sweep
from plugen.plots import sweep_plot
from plugen.tasks import generation_requests


class Exact:
    """Generates latents that are its requested binary targets (temperature adds noise)."""

    latent_dim, attributes, kinds = 2, ["a", "b"], {"a": "binary", "b": "binary"}

    def generate(self, values, n, temperature=1.0, seed=None):
        rng = np.random.default_rng(seed)
        target = np.array([values["a"], values["b"]], np.float32)
        return target + temperature * rng.normal(size=(n, 2)).astype(np.float32)


def judge(images):
    x = images.reshape(len(images), -1)[:, :2].astype(np.float32) / 255.0
    return pd.DataFrame({"pred_a": x[:, 0], "pred_b": x[:, 1]})


def test_colder_sampling_is_judged_right_more_often_and_every_method_sees_every_temperature():
    requests = generation_requests(["a", "b"], ["a", "b"], 50, seed=0)

    def two_channel(z):  # pred_a from pixel 0, pred_b from pixel 1
        img = np.zeros((len(z), 1, 2, 3), np.uint8)
        img[:, 0, :, 0] = (np.clip(z, 0, 1) * 255).round().astype(np.uint8)
        return img

    images_per_method = {"exact": two_channel, "copy": two_channel}
    table = generation_sweep(
        {"exact": Exact(), "copy": Exact()},
        requests,
        [0.0, 1.0],
        images_per_method,
        lambda imgs: pd.DataFrame(
            {"pred_a": imgs[:, 0, 0, 0] / 255.0, "pred_b": imgs[:, 0, 1, 0] / 255.0}
        ),
        ["a", "b"],
        lambda imgs: float(imgs.mean()),
        seed=0,
        label_sigma={"exact": 0.4},
    )
    assert list(table["method"]) == ["exact", "exact", "copy", "copy"]
    assert list(table["temperature"]) == [0.0, 1.0, 0.0, 1.0]
    cold, warm = table.iloc[0], table.iloc[1]
    assert cold["f1"] == 1.0 and cold["accuracy"] == 1.0 and warm["f1"] < 0.9
    assert table.iloc[0]["label_sigma"] == 0.0 and table.iloc[1]["label_sigma"] == 0.4
    assert np.isnan(table.iloc[2]["label_sigma"])
    assert (table["n"] == 200).all()


def test_sweep_refuses_no_temperatures_and_draws_its_figure(tmp_path):
    with pytest.raises(ValueError, match="temperatures"):
        generation_sweep({}, pd.DataFrame(), [], {}, judge, [], lambda x: 0.0)
    table = pd.DataFrame(
        {
            "method": ["plugen"] * 2 + ["cflow"] * 2,
            "temperature": [0.5, 1.0] * 2,
            "f1": [0.9, 0.8, 0.95, 0.9],
            "fid": [20.0, 15.0, 30.0, 25.0],
        }
    )
    path = sweep_plot(table, tmp_path / "sweep.png")
    assert path.stat().st_size > 1000
