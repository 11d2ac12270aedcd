"""Config validation: per-experiment schema files, defaults, one-line errors naming the key."""

import json
from pathlib import Path

import pytest

from plugen import experiments
from plugen.cli import main
from plugen.config import (
    ConfigError,
    cross_checks,
    load_config,
    load_schema,
    read_yaml,
    validate_config,
)
from tests.paths import ROOT, TINY


def test_every_experiment_schema_is_inlined_with_documented_defaults():
    schema = load_schema()
    props = schema["properties"]
    assert set(experiments.names()) <= set(props)
    for name in experiments.names():
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
        (
            {"experiments": ["shapes_gann"]},
            "config: experiments: unknown experiment 'shapes_gann'; known: ['shapes_vae'",
        ),
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
    "path",  # workflow configs (config/pretrain holds backbone recipes, checked on their own)
    sorted(p for p in (ROOT / "config").rglob("*.yaml") if "pretrain" not in p.parts) + [TINY],
)
def test_shipped_configs_are_valid(path):
    user_files = {  # paper configs that read the user's files: valid but for those files
        "stylegan_ffhq.yaml": "data/styleflow/sg2latents.pickle: latent file not found",
        "celeba_vae.yaml": "data/celeba: CelebA folder not found",
        "zinc_charvae.yaml": "molecules.data.csv: data/250k_rndm_zinc_drugs_clean_3.csv: "
        "no such file",
        "shapenet_pc.yaml": "shapenet_pc.data.path: data/ShapeNetCore.v2.PC15k is not a "
        "ShapeNetCore.v2.PC15k folder (format pc15k)",
    }
    if path.name not in user_files:
        load_config(path)
        return
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value) == f"{path}: {user_files[path.name]}"


def test_a_broken_reference_names_the_missing_file(tmp_path):
    (tmp_path / "main.json").write_text(json.dumps({"properties": {"x": {"$ref": "x.json"}}}))
    with pytest.raises(FileNotFoundError, match="x.json"):
        load_schema(tmp_path / "main.json")


def _write(tmp_path, text: str, name: str = "c.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_key_written_twice_at_any_level_names_the_file_key_and_both_lines(tmp_path):
    top = _write(tmp_path, "seed: 1\nexperiments: [molecules]\nseed: 2\n", "top.yaml")
    with pytest.raises(ConfigError) as err:
        read_yaml(top)
    assert str(err.value) == f"{top}: key 'seed' appears twice in one mapping (lines 1 and 3)"
    nested = _write(tmp_path, "shapes_vae:\n  vae:\n    latent_dim: 8\n    latent_dim: 9\n")
    with pytest.raises(ConfigError, match=r"c\.yaml: key 'latent_dim' .*lines 3 and 4"):
        load_config(nested)
    # the same key in two different mappings is fine
    fine = "shapes_vae: {vae: {latent_dim: 8}}\nshapes_gan: {gan: {latent_dim: 8}}\n"
    assert read_yaml(_write(tmp_path, fine))["shapes_gan"] == {"gan": {"latent_dim": 8}}


@pytest.mark.parametrize(
    "text, message",
    [
        ("seed: [1, 2\nexperiments: 3\n", r"c\.yaml: YAML syntax error at line 2, column 12: "),
        ("", r"c\.yaml: empty config$"),
        ("# only a comment\n", r"c\.yaml: empty config$"),
        ("- seed\n", r"c\.yaml: expected a mapping at the top level, got list$"),
    ],
)
def test_unreadable_yaml_is_one_line_naming_the_file(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message) as err:
        load_config(_write(tmp_path, text))
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    "config, message",
    [
        (
            {"experiments": ["shapes_vae"], "shapes_vae": {"vae": {"latent_dim": 4}}},
            "config: shapes_vae.vae.latent_dim: 4 must exceed the 6 attributes PluGeN models",
        ),
        (
            {"experiments": ["shapes_gan"], "shapes_gan": {"gan": {"latent_dim": 6}}},
            "config: shapes_gan.gan.latent_dim: 6 must exceed the 6 attributes PluGeN models",
        ),
        (
            {
                "experiments": ["molecules"],
                "molecules": {"data": {"val_fraction": 0.5, "test_fraction": 0.5}},
            },
            "config: molecules.data: val_fraction 0.5 + test_fraction 0.5 must be below 1",
        ),
        (
            {"experiments": ["shapes_gan"], "shapes_gan": {"gan": {"g_widths": [8] * 6}}},
            "config: shapes_gan.gan.g_widths: 6 stride-2 layers need an image size divisible "
            "by 64, and shapes.data.size is 32",
        ),
        (
            {"experiments": ["shapes_vae"], "shapes": {"data": {"heldout": [{"blue": 1}]}}},
            "config: shapes.data.heldout.0: ['blue'] are not binary shapes attributes",
        ),
        (
            {
                "experiments": ["shapes_vae"],
                "shapes_vae": {"tasks": {"gradual": {"attribute": "colour"}}},
            },
            "config: shapes_vae.tasks.gradual.attribute: 'colour' is not a shapes attribute",
        ),
    ],
)
def test_cross_key_checks_name_the_key(config, message):
    with pytest.raises(ConfigError) as err:
        validate_config(config)
    assert message in str(err.value)


def test_checks_run_only_for_enabled_experiments_and_report_each_problem_once():
    small = {"shapes_vae": {"vae": {"latent_dim": 4}}, "shapes": {"data": {"heldout": [{"x": 1}]}}}
    validate_config({"experiments": ["molecules"], **small})  # shapes_vae disabled: fine
    with pytest.raises(ConfigError) as err:
        validate_config({"experiments": ["shapes_vae", "shapes_gan"], **small})
    lines = str(err.value).splitlines()
    assert len(lines) == 2 and len(set(lines)) == 2


def test_checks_come_from_the_enabled_experiments_specs():
    assert cross_checks({"experiments": []}) == []
    problems = cross_checks(
        {"experiments": ["custom"], "custom": {"latents": None, "labels": None}}
    )
    assert problems == [
        "custom.latents: required when 'custom' is in experiments",
        "custom.labels: required when 'custom' is in experiments",
    ]


def test_validate_config_cli_prints_one_line_per_problem_and_exits_2(tmp_path, capsys):
    bad = _write(
        tmp_path,
        "experiments: [shapes_vae]\nshapes_vae: {vae: {latent_dim: 4}, flow: {hiden: 3}}\n",
    )
    assert main(["validate-config", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "shapes_vae.flow: unknown key(s) ['hiden']" in err[0]
    fixed = _write(tmp_path, "experiments: [shapes_vae]\nshapes_vae: {vae: {latent_dim: 4}}\n")
    assert main(["validate-config", str(fixed)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"plugen validate-config: {fixed}: shapes_vae.vae.latent_dim: 4 must exceed the 6 "
        "attributes PluGeN models"
    )
    assert main(["validate-config", str(tmp_path / "missing.yaml")]) == 2
    assert "missing.yaml: no such config file" in capsys.readouterr().err
    assert main(["validate-config", str(TINY)]) == 0
