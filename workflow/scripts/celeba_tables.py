"""The paper's Table 2 (requested pairs, judged) or Table 3 (from the generation metrics) on
CelebA, beside the paper's printed rows."""

from plugen import io
from plugen.experiments.celeba_vae import tables as celeba
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, _ = setup_job(sm, uses_torch=False)
if sm.params.table == "table2":
    requests, _ = io.read_table(sm.input.samples, io.SAMPLES)
    scores, _ = io.read_table(sm.input.scores, io.SCORES)
    table = celeba.score_table2(requests, scores)
else:
    generation, _ = io.read_table(sm.input.generation, io.METRICS)
    table = celeba.table3(generation)
io.write_table(sm.output.metrics, table, io.METRICS)
log.info("%s:\n%s", sm.params.table, table.to_string())
