"""Measure the generated molecules' properties (RDKit) and score each target group."""

import numpy as np

from plugen import io
from plugen.experiments.molecules.chem import property_frame
from plugen.experiments.molecules.tasks import score_generation
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, _ = setup_job(sm, uses_torch=False)
samples, _ = io.read_table(sm.input.samples, io.SAMPLES)
data, _ = io.read_table(sm.input.table, io.DATASET)
measured = property_frame(samples["smiles"].tolist(), processes=sm.threads)
scores = measured.astype(np.float32)
scores.insert(0, "sample_id", samples["sample_id"])
io.write_table(sm.output.scores, scores, io.SCORES)
metrics = score_generation(samples, measured, data)
log.info("generation:\n%s", metrics.to_string())
io.write_table(sm.output.metrics, metrics, io.METRICS)
