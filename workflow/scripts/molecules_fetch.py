"""The MOSES training csv, read out of the pinned molsets wheel (pip download, sha256 checked)."""

from plugen.experiments.molecules.data import fetch_moses_csv
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, _ = setup_job(sm, uses_torch=False)
fetch_moses_csv(sm.output.csv, sm.params.wheel_dir, sm.input.meta)
