"""Read the user's latents and labels into the latents table every later rule reads."""

from plugen import experiments, io
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, _ = setup_job(sm, uses_torch=False)
frame, z = experiments.get(sm.wildcards.exp).load_latents(sm.params.config)
io.write_table(sm.output.latents, frame, io.LATENTS, z)
counts = frame["split"].value_counts().to_dict()
log.info(
    "%d latents of width %d, splits %s; unknown labels per attribute:\n%s",
    len(frame),
    z.shape[1],
    counts,
    frame.drop(columns=["id", "split"]).isna().mean().to_string(),
)
