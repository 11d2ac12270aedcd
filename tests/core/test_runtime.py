"""Job set-up: light jobs (scoring, summary, RDKit) never import torch; torch jobs get pinned."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import ROOT

SCRIPTS = ROOT / "workflow" / "scripts"

LIGHT_MODULES = [
    "plugen.runtime",
    "plugen.io",
    "plugen.tasks",
    "plugen.summary",
    "plugen.plots",
    "plugen.experiments.molecules.tasks",
    "plugen.experiments.molecules.figures",
    "plugen.experiments.molecules.chem",
    "plugen.experiments.molecules.data",
    "plugen.experiments.shapes.data",
]


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.mark.parametrize("module", LIGHT_MODULES)
def test_light_modules_do_not_import_torch(module):
    assert _run(f"import sys, {module}; print('torch' in sys.modules)") == "False"


def _light_scripts() -> list[Path]:
    return [p for p in sorted(SCRIPTS.glob("*.py")) if "uses_torch=False" in p.read_text()]


def test_light_scripts_import_only_light_modules():
    """A script that tells setup it does not use torch must not load it through its imports."""
    scripts = _light_scripts()
    assert {"evaluate_task.py", "summary.py", "shapes_dataset.py"} <= {p.name for p in scripts}
    for script in scripts:
        imports = [
            line
            for line in script.read_text().splitlines()
            if line.startswith(("import ", "from ")) and "__future__" not in line
        ]
        code = "\n".join(imports) + "\nimport sys; print('torch' in sys.modules)"
        assert _run(code) == "False", f"{script.name} loads torch"


def test_setup_without_torch_leaves_it_unloaded_but_binds_its_threads(tmp_path):
    code = (
        "import os, sys\n"
        "from plugen.runtime import setup\n"
        f"log, dev = setup({str(tmp_path / 'a.log')!r}, threads=1, uses_torch=False)\n"
        "assert 'torch' not in sys.modules and dev == 'cpu'\n"
        "import torch\n"
        "print(os.environ['OMP_NUM_THREADS'], torch.get_num_threads())\n"
    )
    assert _run(code) == "1 1"
    assert "threads=1 device=cpu" in (tmp_path / "a.log").read_text()


def test_setup_pins_an_imported_torch(tmp_path):
    code = (
        "import torch\n"
        "from plugen.runtime import setup\n"
        f"log, dev = setup({str(tmp_path / 'b.log')!r}, threads=1, device='auto', gpus=0)\n"
        "print(torch.get_num_threads(), dev)\n"
    )
    assert _run(code) == "1 cpu"
