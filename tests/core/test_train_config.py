"""TrainConfig.from_section: a config file's train section, the run's seed and a caller's fixed
settings make one TrainConfig."""

import pytest

from plugen.config import load_config
from plugen.train import TrainConfig
from tests.paths import TINY


def test_section_values_then_seed_then_fixed_settings():
    cfg = TrainConfig.from_section(
        {"epochs": 3, "batch_size": 32, "lr": 0.01, "seed": 1}, 7, checkpoint="m.pt.resume"
    )
    assert cfg == TrainConfig(epochs=3, batch_size=32, lr=0.01, seed=7, checkpoint="m.pt.resume")
    assert cfg.patience == 15 and cfg.val_fraction == 0.1  # not named: the defaults


def test_fixed_settings_override_the_section():
    cfg = TrainConfig.from_section({"lr_schedule": "plateau", "patience": 4}, 0, lr_schedule="none")
    assert (cfg.lr_schedule, cfg.patience) == ("none", 4)


def test_unknown_key_is_one_line_naming_it():
    with pytest.raises(ValueError, match=r"^train\.epoch: not a training setting; known: \[") as e:
        TrainConfig.from_section({"epoch": 3, "lr": 0.1}, 0)
    assert "\n" not in str(e.value)
    with pytest.raises(TypeError):
        TrainConfig.from_section({}, 0, checkpont="x")


def test_bad_values_are_refused():
    with pytest.raises(ValueError, match="epochs must be >= 1, got 0"):
        TrainConfig.from_section({"epochs": 0}, 0)


def test_every_train_section_the_scripts_read_is_a_train_config():
    config = load_config(TINY)
    sections = {
        "shapes.classifier": config["shapes"]["classifier"],
        "shapes_vae.vae": config["shapes_vae"]["vae"],
        "shapes_vae.explain.decision": config["shapes_vae"]["explain"]["decision"],
        "celeba_vae.backbone": config["celeba_vae"]["backbone"],
        "celeba_vae.judge": config["celeba_vae"]["judge"],
        "molecules.charvae": config["molecules"]["charvae"],
    }
    for name, section in sections.items():
        cfg = TrainConfig.from_section(section["train"], 5)
        assert (cfg.epochs, cfg.seed) == (section["train"]["epochs"], 5), name
    assert TrainConfig.from_section(sections["shapes_vae.vae"]["train"], 0).epochs == 1  # tiny


def test_lr_patience_halves_the_rate_before_early_stopping_ends_training():
    import torch

    from plugen.train import train

    w = torch.nn.Parameter(torch.zeros(1))

    def flat(module, batch):  # a loss that never improves after the first epoch
        return {"loss": 0.0 * module.w.sum() + 1.0}

    module = torch.nn.Module()
    module.w = w
    cfg = TrainConfig(
        epochs=20, lr=1e-3, patience=5, lr_patience=1, val_fraction=0.0, progress=False
    )
    rows = train(module, flat, [torch.zeros(8, 1)], cfg).rows
    assert [r["lr"] for r in rows] == pytest.approx([1e-3, 1e-3, 1e-3, 5e-4, 5e-4, 2.5e-4])
    with pytest.raises(ValueError, match="lr_patience must be >= 0"):
        TrainConfig(lr_patience=-1)


def test_the_flow_schema_defaults_are_the_dataclasses_defaults():
    """One source per default: PluGeNConfig and TrainConfig hold them; the schema repeats them
    (a user reads them there) and the CLI and the workflow use them."""
    from dataclasses import fields

    from plugen.config import load_schema
    from plugen.model import PluGeNConfig

    flow = load_schema()["properties"]["shapes_vae"]["properties"]["flow"]["properties"]
    plugin = {f.name: f.default for f in fields(PluGeNConfig) if f.name in flow}
    assert plugin and plugin == {k: flow[k]["default"] for k in plugin}
    train = flow["train"]["properties"]
    defaults = {f.name: f.default for f in fields(TrainConfig) if f.name in train}
    assert set(defaults) == set(train)
    assert defaults == {k: train[k]["default"] for k in defaults}


def test_plugen_train_help_states_the_dataclasses_defaults(capsys):
    """plugen train leaves every setting to PluGeNConfig/TrainConfig; its help names them."""
    import re
    from dataclasses import fields

    from plugen.cli import main
    from plugen.model import PluGeNConfig

    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split()).split("options:")[1]
    stated = dict(re.findall(r"--([a-z-]+) [A-Z_{},a-z]+ [^(]*?\(default ([^)]+)\)", text))
    plugin = {f.name: f.default for f in fields(PluGeNConfig)}
    train = {f.name: f.default for f in fields(TrainConfig)}
    expected = {
        "epochs": train["epochs"],
        "patience": train["patience"],
        "batch-size": train["batch_size"],
        "lr": train["lr"],
        "couplings": plugin["n_couplings"],
        "layers": plugin["n_layers"],
        "hidden": plugin["hidden"],
        "sigma": plugin["sigma"],
    }
    for flag, value in expected.items():
        assert float(stated[flag].split()[0]) == float(value), flag
    assert "default nice" in text and plugin["coupling"] == "nice"
