#!/usr/bin/env bash
# Wheel smoke test: build the wheel, install it with [pipeline] into a fresh venv outside the
# repository, and run the command line from a directory that is not a checkout, so a file the
# package reads but does not ship (schemas, metadata) fails here. Run alone or from .ci/run.
#   PYTHON: interpreter that builds the wheel and the venv (default: python3)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

echo "wheel smoke: building the wheel"
# from a copy of what the build reads, so no build/ or egg-info is left in (or reused from) the
# checkout
mkdir "$TMP/src"
tar -C "$ROOT" --exclude=__pycache__ -cf - pyproject.toml README.md LICENSE plugen \
    | tar -C "$TMP/src" -xf -
"$PYTHON" -m pip wheel -q --no-deps -w "$TMP/dist" "$TMP/src"
wheels=("$TMP"/dist/plugen-*.whl)
[ "${#wheels[@]}" -eq 1 ] || { echo "expected one plugen wheel, got: ${wheels[*]}"; exit 1; }
WHEEL="${wheels[0]}"
echo "wheel smoke: $(basename "$WHEEL")"

"$PYTHON" -m venv "$TMP/venv"
VPY="$TMP/venv/bin/python"
# torch==2.13.0 is served locally as a CPU build
"$VPY" -m pip install -q torch==2.13.0 "$WHEEL[pipeline]"

mkdir "$TMP/work"
cd "$TMP/work"
export PATH="$TMP/venv/bin:$PATH"
# the installed package, not the checkout, answers
"$VPY" - "$ROOT" <<'PY'
import json
import sys
from importlib.metadata import distribution
from importlib.resources import files
from pathlib import Path

import plugen

where = Path(plugen.__file__).resolve()
assert Path(sys.argv[1]).resolve() not in where.parents, f"plugen imported from {where}"
dist = distribution("plugen")
assert dist.version == plugen.__version__, (dist.version, plugen.__version__)
assert any(f.name == "LICENSE" for f in dist.files), "LICENSE not in the wheel"
molecules = files("plugen.experiments.molecules")
json.loads((molecules / "moses_wheel.json").read_text())
assert (molecules / "weights" / "charvae_moses.pt").is_file(), "the shipped CharVAE is missing"
assert (files("plugen.experiments.custom") / "schema.json").is_file()
print(f"wheel smoke: plugen {plugen.__version__} from {where.parent}")
PY

printf 'experiments: [shapes_vae]\nseed: 1\nshapes_vae:\n  flow:\n    n_couplings: 2\n' > tiny.yaml
plugen validate-config tiny.yaml
plugen config-reference | grep -q '## `molecules`'

# seeded latents (500 x 8) and two binary attributes that are functions of them
"$VPY" - <<'PY'
import numpy as np

rng = np.random.default_rng(0)
z = rng.normal(size=(500, 8)).astype(np.float32)
np.save("z.npy", z)
with open("labels.csv", "w") as fh:
    fh.write("a,b\n")
    for row in z:
        fh.write(f"{int(row[0] > 0)},{int(row[1] - row[2] > 0)}\n")
PY
plugen train --latents z.npy --labels labels.csv --out plugin.pt --epochs 3 --hidden 16 \
    --couplings 2 --layers 2 --batch-size 64 --seed 0 --device cpu
plugen generate --plugin plugin.pt --set a=1 --n 16 --seed 0 --out gen.npy --device cpu
plugen info plugin.pt
"$VPY" -c "import numpy as np; z = np.load('gen.npy'); assert z.shape == (16, 8), z.shape"
echo "wheel smoke: ok"
