# shapes_vae: procedural images -> conv VAE -> PluGeN -> tasks judged by an external classifier.
# Its spec: plugen/experiments/shapes_vae.py.
SV = "shapes_vae"
SVC = config["shapes_vae"]


rule train_vae:
    input:
        table=rules.shapes_dataset.output.table,
        images=rules.shapes_dataset.output.images,
        lib=lib("backbones/image_vae.py", "nn.py", "train.py"),
    output:
        model=out(SV, "models", "vae.pt"),
        history=out(SV, "history", "vae.parquet"),
    log:
        logp(SV, "train_vae"),
    benchmark:
        bench(SV, "train_vae")
    conda:
        "../environment.yml"
    threads: 2
    resources:
        # Measured on the default config, 2 CPUs (benchmarks/runs/shapes_vae/train_vae.tsv):
        # 173 s and 0.63 GB peak RSS for (12000 + 1500) 32x32 images x 20 epochs. Scaled to the
        # config: 2 GB (torch, CUDA context) + 15 B per image pixel (uint8 copies); 6e-7 s per
        # image pixel and epoch, x2 margin (a GPU is far faster); both grow with each retry.
        mem_mb=lambda wc, attempt: attempt
        * (
            2000
            + 15
            * (
                config["shapes"]["data"]["n_pretrain"]
                + config["shapes"]["data"]["n_val"]
            )
            * config["shapes"]["data"]["size"] ** 2
            // 1_000_000
        ),
        runtime=lambda wc, attempt: attempt
        * max(
            15,
            5
            + int(
                2
                * 6e-7
                * (
                    config["shapes"]["data"]["n_pretrain"]
                    + config["shapes"]["data"]["n_val"]
                )
                * config["shapes"]["data"]["size"] ** 2
                * SVC["vae"]["train"]["epochs"]
                / 60
            ),
        ),
        gpu=1,
    params:
        cfg=SVC["vae"],
        seed=config["seed"],
        device=config["device"],
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
    log:
        logp(SV, "extract_latents"),
    benchmark:
        bench(SV, "extract_latents")
    conda:
        "../environment.yml"
    threads: 2
    resources:
        # Measured on the default config, 2 CPUs: 6.8 s and 0.54 GB peak RSS for 11500 32x32
        # labelled images. Scaled like train_vae: 2 GB + 15 B per image pixel; 3.2e-7 s per image
        # pixel, x2 margin; both grow with each retry.
        mem_mb=lambda wc, attempt: attempt
        * (
            2000
            + 15
            * (
                config["shapes"]["data"]["n_train"]
                + config["shapes"]["data"]["n_val"]
                + config["shapes"]["data"]["n_test"]
            )
            * config["shapes"]["data"]["size"] ** 2
            // 1_000_000
        ),
        runtime=lambda wc, attempt: attempt
        * max(
            10,
            5
            + int(
                2
                * 3.2e-7
                * (
                    config["shapes"]["data"]["n_train"]
                    + config["shapes"]["data"]["n_val"]
                    + config["shapes"]["data"]["n_test"]
                )
                * config["shapes"]["data"]["size"] ** 2
                / 60
            ),
        ),
        gpu=1,
    params:
        device=config["device"],
    script:
        "../workflow/scripts/extract_latents.py"
