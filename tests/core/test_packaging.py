"""Packaging: the three places that list dependencies agree, CI runs the README's test command,
and the package data (schemas, MOSES metadata) ships and loads outside a checkout."""

import json
import re
import subprocess
from pathlib import Path

import tomllib
import yaml

from tests.paths import ROOT


def _name(req: str) -> str:
    return re.split(r"[<>=!~\[ ]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_the_jobs_environment_pins_what_the_scripts_import():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    wanted = {_name(r) for r in project["dependencies"]}
    for extra in ("pipeline", "molecules", "pointclouds", "baselines"):
        wanted |= {_name(r) for r in extras[extra]}
    wanted.add("snakemake")  # a script: job runs snakemake's preamble in the environment
    env = yaml.safe_load((ROOT / "workflow" / "envs" / "plugen.yaml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    pins = [r for r in pip_section if not r.startswith("-e")]
    assert {_name(r) for r in pins} == wanted
    assert all(re.fullmatch(r"[\w.-]+==[\w.+-]+", r) for r in pins), pins
    assert "-e ../.." in pip_section  # the package itself, from the repository root


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


# ---------------------------------------------------------------------------- package data
def _refs(node) -> list[str]:
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    if not isinstance(node, dict):
        return []
    ref = node.get("$ref")
    own = [ref] if isinstance(ref, str) and ref.endswith(".json") else []
    return own + [r for v in node.values() for r in _refs(v)]


def test_every_schema_reference_names_a_shared_schema_inside_the_package():
    import plugen
    from plugen import experiments
    from plugen.config import SCHEMA_DIR

    package = Path(plugen.__file__).resolve().parent
    folder = Path(str(SCHEMA_DIR)).resolve()
    assert folder == package / "schemas"
    shared = sorted(folder.glob("*.json"))
    assert "config.schema.json" in {p.name for p in shared}
    sections = [Path(str(f)) for f in experiments.config_sections().values()]
    assert {p.parent.name for p in sections} >= {"shapes", "shapes_vae", "molecules", "custom"}
    seen = set()
    for path in shared + sections:
        assert package in path.resolve().parents
        for ref in _refs(json.loads(path.read_text())):
            assert "/" not in ref, f"{path}: $ref {ref} names a path, not a shared schema"
            assert (folder / ref).is_file(), f"{path}: {ref} is not in plugen/schemas/"
            seen.add(ref)
    # the shared parts are written once and referenced by the experiments' sections
    assert {"flow.schema.json", "baselines.schema.json", "explain.schema.json"} <= seen


def test_schemas_and_moses_metadata_load_outside_the_checkout(tmp_path, monkeypatch):
    from plugen.config import load_config, load_schema
    from plugen.experiments.molecules import data as molecules

    monkeypatch.chdir(tmp_path)
    schema = load_schema()
    assert {"shapes_vae", "molecules", "custom"} <= set(schema["properties"])
    # $ref inlined: the shared flow schema's keys sit in each experiment's section
    flow = schema["properties"]["shapes_vae"]["properties"]["flow"]
    assert "$ref" not in flow and "n_couplings" in flow["properties"]
    (tmp_path / "c.yaml").write_text("experiments: [shapes_vae]\n")
    assert load_config(tmp_path / "c.yaml")["experiments"] == ["shapes_vae"]
    meta = json.loads(molecules.DEFAULT_WHEEL_META.read_text())
    assert {"filename", "sha256"} <= set(meta)


def _package_data_files() -> set[Path]:
    """Files the [tool.setuptools.package-data] globs of pyproject.toml put in the wheel."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    shipped: set[Path] = set()
    for package, globs in setuptools["package-data"].items():
        base = ROOT.joinpath(*package.split("."))
        for pattern in globs:
            shipped |= {p.resolve() for p in base.glob(pattern) if p.is_file()}
    return shipped


def test_package_data_globs_cover_every_data_file_of_the_package():
    shipped = _package_data_files()
    tracked = subprocess.run(
        ["git", "ls-files", "plugen"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    wanted = {ROOT / f for f in tracked if not f.endswith(".py")}
    # the schemas, each experiment's schema.json, the MOSES metadata, the weights, the paper text
    assert len(wanted) >= 15 and ROOT / "plugen/experiments/molecules/moses_wheel.json" in wanted
    missing = sorted(str(p.relative_to(ROOT)) for p in wanted if p.resolve() not in shipped)
    assert not missing, f"not in [tool.setuptools.package-data]: {missing}"


def test_the_version_is_written_once_and_the_license_ships():
    import plugen

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"]
    assert "version" in pyproject["project"]["dynamic"]
    attr = pyproject["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    assert attr == "plugen.__version__"
    assert re.fullmatch(r"\d+\.\d+\.\d+", plugen.__version__)
    assert pyproject["project"]["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
