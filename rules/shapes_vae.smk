# shapes_vae: procedural images -> conv VAE -> PluGeN -> tasks judged by an external classifier.
SV = "shapes_vae"
SVC = config["shapes_vae"]
HELDOUT = config["shapes"]["data"]["heldout"]
SV_TASKS = ["generation", "manipulation", "gradual"]
FLOW_LABELS[SV] = "plugen.data.shapes:ATTRIBUTES"
IMAGE_BACKBONE[SV] = "vae"
FIGURE_TASKS[SV] = SV_TASKS
FID_SETS[SV] = ["generation", "reconstruction"]


rule train_vae:
    input:
        table=rules.shapes_dataset.output.table,
        images=rules.shapes_dataset.output.images,
        lib=lib("backbones/image_vae.py", "nn.py", "train.py"),
    output:
        model=out(SV, "models", "vae.pt"),
        history=out(SV, "history", "vae.parquet"),
    params:
        cfg=SVC["vae"],
        seed=config["seed"],
        device=config["device"],
    log:
        logp(SV, "train_vae"),
    benchmark:
        bench(SV, "train_vae")
    threads: 2
    resources:
        mem_mb=4000,
        runtime=60,
        gpu=1,
    script:
        "../workflow/scripts/train_vae.py"


rule extract_latents:
    input:
        table=rules.shapes_dataset.output.table,
        images=rules.shapes_dataset.output.images,
        vae=rules.train_vae.output.model,
    output:
        latents=out(SV, "latents.parquet"),
        metrics=out(SV, "metrics", "vae.parquet"),
    params:
        device=config["device"],
    log:
        logp(SV, "extract_latents"),
    benchmark:
        bench(SV, "extract_latents")
    threads: 2
    resources:
        mem_mb=3000,
        runtime=10,
        gpu=1,
    script:
        "../workflow/scripts/extract_latents.py"


SUMMARY_TABLES[SV] = expand(
    out(SV, "metrics", "{table}.parquet"), table=["vae", *SV_TASKS, "fid"]
)
FIGURES[SV] = out(SV, "figures")
