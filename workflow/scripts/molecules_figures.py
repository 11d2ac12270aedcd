"""Property densities per target (Figure 7 analogue) and lead optimization grid (Figure 8)."""

from pathlib import Path

from plugen import io
from plugen.experiments.molecules.figures import density_figure, lead_grid
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, _ = setup_job(sm, uses_torch=False)
data, _ = io.read_table(sm.input.table, io.DATASET)
samples, _ = io.read_table(sm.input.samples, io.SAMPLES)
scores, _ = io.read_table(sm.input.scores, io.SCORES)
lead, _ = io.read_table(sm.input.lead, io.METRICS)
folder = Path(sm.output.figures)
density_figure(data, samples, scores, folder / "property_densities.png")
lead_grid(lead, sm.params.attribute, folder / "lead_optimization.png")
log.info("figures in %s", folder)
