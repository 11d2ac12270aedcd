"""plugen.codedeps: the library files a script runs, followed through its imports."""

from pathlib import Path

from plugen.codedeps import library_files
from tests.paths import ROOT


def _package(tmp_path: Path) -> Path:
    """A fabricated ``plugen`` package with every kind of import the resolver follows."""
    pkg = tmp_path / "plugen"
    files = {
        "__init__.py": "def __getattr__(name):\n    from plugen import model\n    return model\n",
        "model.py": "import numpy\nfrom plugen.flows import NICE\n",
        "flows.py": "from . import nn\n",
        "nn.py": "",
        "io.py": "def read():\n    from plugen.atomic import write  # lazy, still a dependency\n",
        "atomic.py": "",
        "unused.py": "",
        "reference/__init__.py": "",
        "reference/paper.py": "",
        "reference/tables.txt": "data",
        "summary.py": "import importlib\n\ndef ref(e):\n"
        "    return importlib.import_module(f'plugen.reference.{e}')\n",
    }
    for name, text in files.items():
        (pkg / name).parent.mkdir(parents=True, exist_ok=True)
        (pkg / name).write_text(text)
    return pkg


def _deps(pkg: Path, script_text: str, tmp_path: Path) -> set[str]:
    script = tmp_path / "script.py"
    script.write_text(script_text)
    return {str(Path(p).relative_to(pkg.resolve())) for p in library_files(script, pkg)}


def test_module_function_and_relative_imports_are_followed(tmp_path):
    pkg = _package(tmp_path)
    assert _deps(pkg, "from plugen import io\n", tmp_path) == {"__init__.py", "io.py", "atomic.py"}
    assert _deps(pkg, "import plugen.model\n", tmp_path) == {
        "__init__.py", "model.py", "flows.py", "nn.py"
    }  # fmt: skip


def test_lazy_package_exports_count_only_for_the_names_imported(tmp_path):
    pkg = _package(tmp_path)
    assert "model.py" not in _deps(pkg, "from plugen import io\n", tmp_path)
    assert {"model.py", "flows.py", "nn.py"} <= _deps(pkg, "from plugen import PluGeN\n", tmp_path)


def test_dynamic_imports_take_the_whole_package_and_its_data_files(tmp_path):
    pkg = _package(tmp_path)
    deps = _deps(pkg, "from plugen import summary\n", tmp_path)
    assert {"summary.py", "reference/__init__.py", "reference/paper.py"} <= deps
    assert "reference/tables.txt" in deps and "unused.py" not in deps


def test_every_rule_of_the_workflow_depends_on_its_scripts_imports():
    """A real script: train_flow runs the plugin and the training loop, not the judges."""
    deps = {
        str(Path(p).relative_to(ROOT / "plugen"))
        for p in library_files(ROOT / "workflow/scripts/train_flow.py", ROOT / "plugen")
    }
    assert {"model.py", "flows.py", "priors.py", "train.py", "posterior.py", "labelling.py"} <= deps
    assert {"checkpoint.py", "nn.py", "io.py"} <= deps
    assert not any(
        d.startswith(("evaluate/classifier", "baselines/", "experiments/")) for d in deps
    )
