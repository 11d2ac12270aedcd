# The conv VAE backbones trained in the DAG (VAE_EXPS: shapes_vae, celeba_vae) and the encoded
# latents of every image experiment that encodes its data set (ENCODED_EXPS): one rule each,
# the data set from common.smk's dataset_table. shapes_vae's spec: plugen/experiments/shapes_vae/.


rule train_vae:
    input:
        table=lambda wc: dataset_table(wc.exp),
        images=lambda wc: dataset_images(wc.exp),
        lib=code("train_vae"),
    output:
        model=out("{exp}", "models", "vae.pt"),
        history=out("{exp}", "history", "vae.parquet"),
    log:
        logp("{exp}", "train_vae"),
    benchmark:
        bench("{exp}", "train_vae")
    wildcard_constraints:
        exp=VAE_EXPS,
    conda:
        "../envs/plugen.yaml"
    threads: THREADS
    resources:
        # Scaled to the config: 2 GB (torch, CUDA context) + 15 B per image pixel (uint8
        # copies); 6e-7 s per image pixel and epoch (benchmarks/runs/shapes_vae/train_vae.tsv
        # of the default config), x2 margin; both grow with each retry.
        mem_mb=lambda wc, attempt: attempt
        * (2000 + 15 * image_pixels(wc.exp, vae_splits(wc.exp)) // 1_000_000),
        runtime=lambda wc, attempt: attempt
        * max(
            15,
            5
            + int(
                2
                * 6e-7
                * image_pixels(wc.exp, vae_splits(wc.exp))
                * vae_config(wc.exp)["train"]["epochs"]
                / 60
            ),
        ),
        gpu=1,
    params:
        cfg=lambda wc: vae_config(wc.exp),
        seed=config["seed"],
        device=config["device"],
    script:
        "../scripts/train_vae.py"


rule extract_latents:
    input:
        table=lambda wc: dataset_table(wc.exp),
        images=lambda wc: dataset_images(wc.exp),
        vae=encoder_file,
        lib=code("extract_latents"),
    output:
        latents=out("{exp}", "latents.parquet"),
        metrics=out("{exp}", "metrics", "vae.parquet"),
    log:
        logp("{exp}", "extract_latents"),
    benchmark:
        bench("{exp}", "extract_latents")
    wildcard_constraints:
        exp=ENCODED_EXPS,
    conda:
        "../envs/plugen.yaml"
    threads: THREADS
    resources:
        # Scaled like train_vae: 2 GB + 15 B per image pixel; 3.2e-7 s per image pixel, x2
        # margin; both grow with each retry.
        mem_mb=lambda wc, attempt: attempt
        * (2000 + 15 * image_pixels(wc.exp, ["train", "val", "test"]) // 1_000_000),
        runtime=lambda wc, attempt: attempt
        * max(
            10,
            5 + int(2 * 3.2e-7 * image_pixels(wc.exp, ["train", "val", "test"]) / 60),
        ),
        gpu=1,
    params:
        encoder=encoder_spec,
        labels_per_image=labels_per_image,
        decoder=lambda wc: decoder(wc.exp) if user_encoder(wc.exp) else None,
        kinds=lambda wc: spec(wc.exp).attributes(config),
        device=config["device"],
        seed=config["seed"],
    script:
        "../scripts/extract_latents.py"
