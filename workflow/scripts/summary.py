"""Write results/summary.md: one section per experiment, tables beside the paper's numbers."""

from pathlib import Path

from plugen import io
from plugen.runtime import setup_job
from plugen.summary import render_summary

sm = snakemake  # noqa: F821
log, _ = setup_job(sm, uses_torch=False)
text = ["# plugen-pipeline results", ""]
for section in sm.params.sections:
    paths = [Path(p) for p in sm.input.metrics if Path(p).parts[-3] == section]
    tables = {p.stem: io.read_table(p, io.METRICS)[0] for p in paths}
    text.append(render_summary(section, tables))
    figures = [Path(f) for f in sm.input.figures if Path(f).parts[-2] == section]
    for folder in figures:
        text += [f"![{p.stem}]({p.relative_to('results')})" for p in sorted(folder.glob("*.png"))]
    text.append("")
    log.info("%s: %d tables, %d figure folders", section, len(tables), len(figures))
Path(sm.output.summary).write_text("\n".join(text))
