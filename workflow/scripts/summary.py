"""Write results/summary.md (one section per experiment, tables beside the paper's numbers) and
results/timings.md (the tables of wall-clock measurements, which differ from run to run)."""

from pathlib import Path

from plugen import io
from plugen.runtime import setup_job
from plugen.summary import render_summary

sm = snakemake  # noqa: F821
log, _ = setup_job(sm, uses_torch=False)
text, timings = ["# plugen-pipeline results", ""], ["# plugen-pipeline timings", ""]
for section in sm.params.sections:
    paths = [Path(p) for p in sm.input.metrics if Path(p).parts[-3] == section]
    tables = {p.stem: io.read_table(p, io.METRICS)[0] for p in paths}
    timed = sm.params.timing.get(section, [])
    text.append(render_summary(section, {k: v for k, v in tables.items() if k not in timed}))
    if timed:
        timings.append(render_summary(section, {k: v for k, v in tables.items() if k in timed}))
    figures = [Path(f) for f in sm.input.figures if Path(f).parts[-2] == section]
    for folder in figures:
        text += [f"![{p.stem}]({p.relative_to('results')})" for p in sorted(folder.glob("*.png"))]
    text.append("")
    log.info(
        "%s: %d tables (%d timed), %d figure folders",
        section,
        len(tables),
        len(timed),
        len(figures),
    )
Path(sm.output.summary).write_text("\n".join(text))
Path(sm.output.timings).write_text("\n".join(timings))
