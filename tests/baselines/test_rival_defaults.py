"""One source per default: each rival's constructor and training defaults are the schema's (a
rival built in Python without settings trains as the workflow's default run does)."""

import inspect
from dataclasses import MISSING, asdict, fields

import pytest

from plugen.backbones.dcgan import GANConfig
from plugen.baselines import BASELINES
from plugen.config import load_schema
from plugen.model import PluGeNConfig

SCHEMA = load_schema()["properties"]
# settings of the workflow's script, not of the rival (a seeded subsample of the rows)
SCRIPT_ONLY = {"max_samples"}


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


@pytest.mark.parametrize("method", sorted(BASELINES))
def test_a_rivals_defaults_are_its_schema_defaults(method):
    cls = BASELINES[method]
    section = SCHEMA["shapes_vae"]["properties"]["baselines"]["properties"][method]["properties"]
    params = inspect.signature(cls.__init__).parameters
    built = {k: _plain(p.default) for k, p in params.items() if p.default is not p.empty}
    plugin = {f.name: f.default for f in fields(PluGeNConfig)}
    for key, node in section.items():
        if key == "train":
            train = asdict(cls.train_defaults)
            for name, sub in node["properties"].items():
                if name not in SCRIPT_ONLY:
                    assert train[name] == sub["default"], (method, "train", name)
            continue
        assert key in built, f"{method}: schema key {key} is not a constructor argument"
        # null in the schema: PluGeN's own setting (cnice is PluGeN's flow, conditioned)
        expected = plugin[key] if node["default"] is None else node["default"]
        assert built[key] == expected, (method, key)


def test_the_gan_backbones_defaults_are_its_schema_defaults():
    gan = SCHEMA["shapes_gan"]["properties"]["gan"]["properties"]
    shared = [f for f in fields(GANConfig) if f.name in gan]
    assert len(shared) > 5
    for f in shared:
        default = f.default if f.default is not MISSING else f.default_factory()
        assert default == gan[f.name]["default"], f.name
