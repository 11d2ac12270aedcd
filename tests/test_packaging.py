"""The three places that list dependencies agree, and CI runs the README's test command."""

import re
from pathlib import Path

import tomllib
import yaml

ROOT = Path(__file__).resolve().parent.parent


def _name(req: str) -> str:
    return re.split(r"[<>=!~\[ ]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"]}
    for reqs in project["optional-dependencies"].values():
        wanted |= {_name(r) for r in reqs if not r.startswith("plugen")}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    listed = {_name(r) for r in pip_section if not r.startswith("-e")}
    assert listed == wanted


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- test-command -->\s*```(?:bash|sh)?\n(.+?)\n```", readme, re.S)
    assert block, "README must mark its test command with <!-- test-command -->"
    test_cmd = block.group(1).strip().splitlines()[-1].split("&&")[-1].strip()
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_cmd in [line.strip() for line in ci]


def test_snakefile_start_up_does_not_import_torch():
    """The Snakefile imports plugen.config and the experiment specs at every start; keeping
    torch out keeps no-op reruns fast (< 3 s)."""
    import subprocess
    import sys

    code = (
        "import sys, plugen.config, plugen.experiments as e; "
        "[e.get(n) for n in e.names()]; print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "False", out.stderr


BLOCKED = ("pandas", "pyarrow", "scipy", "matplotlib", "yaml", "jsonschema", "tqdm", "snakemake")

_WITHOUT_EXTRAS = f"""
import sys


for name in {BLOCKED!r}:
    sys.modules[name] = None  # as if not installed: import raises, find_spec says absent
import plugen.checkpoint, plugen.flows, plugen.priors, plugen.train  # noqa: E401
import numpy as np
from plugen.model import PluGeN

rng = np.random.default_rng(0)
z = rng.normal(size=(200, 6)).astype(np.float32)
y = np.stack([z[:, 0] > 0, z[:, 1]], 1).astype(np.float32)
model = PluGeN(6, ["a", "b"], {{"b": "continuous"}}, n_couplings=2, n_layers=2, hidden=8)
model.fit(z, y, epochs=2, batch_size=64, progress=True)
model.save(sys.argv[1])
back = PluGeN.load(sys.argv[1])
assert np.array_equal(back.encode(z)[0], model.encode(z)[0])
print(sorted(m for m in {BLOCKED!r} if sys.modules.get(m) is not None))
"""


def test_the_plugin_trains_saves_and_loads_with_only_torch_and_numpy(tmp_path):
    """pip install plugen (no extras): the plugin core must not need any pipeline package."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", _WITHOUT_EXTRAS, str(tmp_path / "plugin.pt")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == "[]"


def test_core_dependencies_are_torch_and_numpy_and_all_has_every_extra():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert {_name(r) for r in project["dependencies"]} == {"torch", "numpy"}
    extras = project["optional-dependencies"]
    assert {"pipeline", "molecules", "baselines", "workflow", "dev"} < set(extras)
    everything = re.fullmatch(r"plugen\[(.+)\]", extras["all"][0]).group(1).split(",")
    assert sorted(everything) == sorted(set(extras) - {"all"})
    assert isinstance(project["license"], str)  # SPDX expression, not the deprecated table
