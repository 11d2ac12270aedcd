"""The checkout's paths, from one place: the tests sit one to three folders below ``tests/``, so
none of them computes the root from its own ``__file__``. Imported as ``tests.paths`` (plain
values, needed at import and parametrize time, where a fixture cannot be used)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the checkout: pyproject.toml, plugen/, workflow/
DATA = ROOT / "tests" / "data"  # the tests' config files
TINY = DATA / "tiny.yaml"  # the tiny config of every default experiment
CELEBA_VAE = DATA / "celeba_vae.yaml"  # the tiny celeba_vae config
SNAKEFILE = ROOT / "workflow" / "Snakefile"
