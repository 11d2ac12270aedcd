# plugen-pipeline: PluGeN (AAAI 2022) as a reproducible workflow. See README.md and docs/.
from pathlib import Path

from snakemake.utils import min_version

min_version("8.0")


configfile: str(Path(workflow.basedir) / "config" / "config.yaml")


include: "rules/common.smk"
include: "rules/plugin.smk"
include: "rules/image_tasks.smk"
include: "rules/baselines.smk"
include: "rules/explain.smk"
# where each experiment's latents come from (backbones trained in the DAG); the experiments
# whose latents the user brings (custom, stylegan_ffhq) need none
include: "rules/shapes.smk"
include: "rules/shapes_vae.smk"
include: "rules/shapes_gan.smk"
include: "rules/celeba.smk"
include: "rules/molecules.smk"
include: "rules/report.smk"


report: "report/workflow.rst"


rule all:
    input:
        all_outputs(),
