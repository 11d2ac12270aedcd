"""Image grids of every task's samples (sources first when they come from the dataset)."""

from pathlib import Path

from plugen import io
from plugen.plots import task_figure
from plugen.runtime import setup

sm = snakemake  # noqa: F821
log, _ = setup(sm.log[0], sm.threads)
data, _ = io.read_table(sm.input.dataset, io.DATASET)
paths = dict(zip(data["id"], data["image_path"]))
root = Path(sm.input.dataset).parent


def originals(ids):
    return io.read_images([paths[i] for i in ids], root)


for path in sm.input.samples:
    df, _ = io.read_table(path, io.SAMPLES)
    has_sources = "source_id" in df and df["source_id"].isin(paths.keys()).any()
    out = Path(sm.output.figures) / f"{Path(path).stem}.png"
    task_figure(df, Path(path).parent, out, originals if has_sources else None)
    log.info("figure %s (%d samples)", out, len(df))
