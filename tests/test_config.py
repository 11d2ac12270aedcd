"""Config validation: per-experiment schema files, defaults, one-line errors naming the key."""

import json
from pathlib import Path

import pytest

from plugen.config import ConfigError, load_config, load_schema, validate_config

ROOT = Path(__file__).resolve().parent.parent


def test_every_experiment_schema_is_inlined_with_documented_defaults():
    schema = load_schema()
    props = schema["properties"]
    assert set(props["experiments"]["items"]["enum"]) <= set(props)
    for name in props["experiments"]["items"]["enum"]:
        assert "$ref" not in json.dumps(props[name]), name
        assert props[name]["additionalProperties"] is False
    # the flow schema is shared, not copied
    assert props["shapes_vae"]["properties"]["flow"] == props["shapes_gan"]["properties"]["flow"]


def test_defaults_fill_every_enabled_and_disabled_experiment():
    cfg = validate_config({"experiments": ["shapes_gan"]})
    assert cfg["shapes_gan"]["gan"]["latent_dim"] == 32
    assert cfg["shapes_gan"]["flow"]["train"]["patience"] >= 1
    assert cfg["shapes_gan"]["flow"]["train"]["lr_schedule"] == "plateau"
    assert cfg["shapes"]["data"]["heldout"] == [{"dark_bg": 1, "red": 1, "round": 1}]


@pytest.mark.parametrize(
    "config, message",
    [
        ({"experiments": ["shapes_gann"]}, "config: experiments.0: 'shapes_gann' is not one of"),
        ({"shapes_gan": {"gan": {"epochs": 0}}}, "config: shapes_gan.gan.epochs: 0 is less than"),
        ({"shapes_gan": {"flow": {"hiden": 3}}}, "shapes_gan.flow: unknown key(s) ['hiden']"),
        (
            {"molecules": {"flow": {"train": {"lr_schedule": "step"}}}},
            "config: molecules.flow.train.lr_schedule: 'step' is not one of",
        ),
    ],
)
def test_errors_name_the_key(config, message):
    with pytest.raises(ConfigError) as err:
        validate_config(config)
    assert message in str(err.value)


@pytest.mark.parametrize(
    "path", sorted((ROOT / "config").rglob("*.yaml")) + [ROOT / "tests/data/tiny.yaml"]
)
def test_shipped_configs_are_valid(path):
    load_config(path)


def test_a_broken_reference_names_the_missing_file(tmp_path):
    (tmp_path / "main.json").write_text(json.dumps({"properties": {"x": {"$ref": "x.json"}}}))
    with pytest.raises(FileNotFoundError, match="x.json"):
        load_schema(tmp_path / "main.json")
