"""Decode the user's CelebA once: dataset Parquet + uint8 image shards, and a report of what was
read and skipped (plugen.experiments.celeba_vae.data.preprocess)."""

import json

from plugen.atomic import atomic_path
from plugen.experiments.celeba_vae.data import preprocess
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, _ = setup_job(sm, uses_torch=False)
d = sm.params.data
report = preprocess(
    d["root"],
    sm.output.images.rsplit("/", 1)[0],
    size=d["size"],
    crop=d["crop"],
    limit=d["limit"],
    progress=False,
)
log.info(
    "%d of %d listed images written, %d skipped",
    report["n_written"],
    report["n_listed"],
    report["n_skipped"],
)
with atomic_path(sm.output.report) as tmp, open(tmp, "w") as fh:
    json.dump({k: v for k, v in report.items() if k != "table"}, fh, indent=1, sort_keys=True)
