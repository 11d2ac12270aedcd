"""Read the user's latents and labels (and the posterior spread, when given) into the latents
table every later rule reads."""

from plugen import experiments, io
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, _ = setup_job(sm, uses_torch=False)
spec = experiments.get(sm.wildcards.exp)
frame, z = spec.load_latents(sm.params.config)
z_std = spec.load_spread(sm.params.config)
io.write_table(sm.output.latents, frame, io.LATENTS, z, z_std)
counts = frame["split"].value_counts().to_dict()
log.info(
    "%d latents of width %d, splits %s; unknown labels per attribute:\n%s",
    len(frame),
    z.shape[1],
    counts,
    frame.drop(columns=["id", "split"]).isna().mean().to_string(),
)
