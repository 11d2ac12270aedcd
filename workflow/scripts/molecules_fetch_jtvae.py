"""The pinned JT-VAE wheel (jtnnencoder: Jin et al.'s published ZINC weights and vocabulary),
copied from the library's wheel cache or downloaded with pip; sha256 checked."""

from plugen.experiments.molecules.jtvae import fetch_jtvae_wheel
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, _ = setup_job(sm, uses_torch=False)
wheel = fetch_jtvae_wheel(sm.output.wheel, sm.input.meta)
log.info("JT-VAE wheel: %s", wheel)
