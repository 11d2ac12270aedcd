"""The layout's promises: an experiment lives in its folder, the registry lists every folder,
the docs name every module, and config/README.md is the schemas' reference."""

import ast
import re

from plugen import experiments
from plugen.config import config_reference
from tests.paths import ROOT

PLUGEN = ROOT / "plugen"
FOLDERS = PLUGEN / "experiments"
SHARED = {"capabilities"}  # folders of experiments/ that are layers, not experiments


def _experiment_folders() -> set[str]:
    return {p.parent.name for p in FOLDERS.glob("*/__init__.py")} - SHARED


def test_every_experiment_folder_is_in_the_registry_and_every_entry_is_a_folder():
    assert set(experiments.PACKAGES) == _experiment_folders()
    for name in experiments.names():  # each registered spec lives in the folder of its name
        assert name in experiments.PACKAGES


def test_no_experiment_is_named_outside_its_folder_but_by_the_registry():
    # "shapes" and "custom" are also English words; every other experiment name, and the
    # family names "molecules" and "celeba", may appear only in their own folder
    words = {n for n in experiments.names() if "_" in n} | {"molecules", "celeba"}
    owners = {w: w for w in words} | {"celeba": "celeba_vae"}
    found = []
    for path in PLUGEN.rglob("*.py"):
        rel = path.relative_to(PLUGEN)
        if rel == ("experiments", "__init__.py") or rel.as_posix() == "experiments/__init__.py":
            continue
        text = path.read_text()
        for word in words:
            home = f"experiments/{owners[word]}/"
            family = word.startswith("shapes") and rel.as_posix().startswith("experiments/shapes")
            if re.search(rf"\b{word}\b", text) and not rel.as_posix().startswith(home):
                if not family:
                    found.append(f"{rel}: {word}")
    assert not found, found


def test_shared_layers_import_no_experiment_folder():
    """Imports run downward: outside plugen/experiments/, nothing imports an experiment's own
    modules (the registry finds them by name)."""
    upward = []
    for path in PLUGEN.rglob("*.py"):
        rel = path.relative_to(PLUGEN).as_posix()
        if rel.startswith("experiments/"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                parts = name.split(".")
                if parts[:2] == ["plugen", "experiments"] and len(parts) > 2:
                    if parts[2] in _experiment_folders():
                        upward.append(f"{rel}: {name}")
    assert not upward, upward


def test_architecture_doc_names_every_module_and_package():
    doc = (ROOT / "docs" / "architecture.md").read_text()
    top = {p.stem for p in PLUGEN.glob("*.py") if p.stem != "__init__"}
    top |= {p.parent.name for p in PLUGEN.glob("*/__init__.py")}
    top |= {p.name for p in PLUGEN.iterdir() if p.is_dir() and p.name == "schemas"}
    missing = sorted(m for m in top if not re.search(rf"\b{m}(\.py|/)", doc))
    assert not missing, f"docs/architecture.md does not name {missing}"
    assert not sorted(f for f in _experiment_folders() if f"{f}/" not in doc)


def test_config_readme_is_the_schemas_reference():
    text = (ROOT / "config" / "README.md").read_text()
    assert text == config_reference(), "regenerate: plugen config-reference > config/README.md"
    assert "|  |" not in text.replace("| `", "")  # every key has a meaning
