"""Write results/summary.md and the figures of the report."""

from pathlib import Path

from plugen import io
from plugen.plots import image_grid
from plugen.runtime import setup
from plugen.summary import render_summary

sm = snakemake  # noqa: F821
log, _ = setup(sm.log[0], sm.threads)
tables = {Path(p).stem: io.read_table(p, io.METRICS)[0] for p in sm.input.metrics}
text = "# plugen-pipeline results\n\n" + render_summary("shapes_vae", tables)
Path(sm.output.summary).write_text(text)
figures = Path(sm.output.figures)
for path in sm.input.samples:
    df, _ = io.read_table(path, io.SAMPLES)
    root = Path(path).parent
    key = "source_id" if Path(path).stem != "generation" else "group"
    groups = list(df.groupby(key, sort=True))[:12]
    rows = [io.read_images(g["image_path"].head(10), root) for _, g in groups]
    image_grid(rows, [str(k)[:14] for k, _ in groups], figures / f"{Path(path).stem}.png")
log.info("summary with %d tables, figures in %s", len(tables), figures)
