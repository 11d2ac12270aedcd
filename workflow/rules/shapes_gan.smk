# shapes_gan: the paper's StyleGAN protocol (Table 1) on shapes. A decoder-only DCGAN is trained
# on unlabelled images; sampled latents are decoded and labelled by the external classifier;
# PluGeN trains on (z, labels); real images are edited through GAN inversion.
# Its spec: plugen/experiments/shapes_gan/.
SG = "shapes_gan"
SGC = config["shapes_gan"]


rule train_gan:
    input:
        table=rules.shapes_dataset.output.table,
        images=rules.shapes_dataset.output.images,
        lib=code("train_gan"),
    output:
        model=out(SG, "models", "gan.pt"),
        history=out(SG, "history", "gan.parquet"),
    log:
        logp(SG, "train_gan"),
    benchmark:
        bench(SG, "train_gan")
    conda:
        "../envs/plugen.yaml"
    threads: THREADS
    resources:
        # default: 0.8 GB peak, 150 s on 2 idle CPUs for 12k 32x32 images x 10 epochs
        mem_mb=per_attempt(2000 + 4 * SH_PIXELS_MB),
        # CPU estimate, capped at 24 h per attempt: paper scale is meant for a GPU (tens of x faster)
        runtime=per_attempt(
            min(
                1440,
                10
                + SGC["gan"]["epochs"]
                * SHC["data"]["n_pretrain"]
                * SHC["data"]["size"] ** 2
                // 2_000_000,
            )
        ),
        gpu=1,
    params:
        cfg=SGC["gan"],
        seed=config["seed"],
        device=config["device"],
    script:
        "../scripts/train_gan.py"


rule label_gan_samples:
    input:
        gan=rules.train_gan.output.model,
        classifier=rules.train_classifier.output.model,
        lib=code("label_gan_samples"),
    output:
        latents=out(SG, "latents.parquet"),
    log:
        logp(SG, "label_gan_samples"),
    benchmark:
        bench(SG, "label_gan_samples")
    conda:
        "../envs/plugen.yaml"
    threads: THREADS
    resources:
        mem_mb=per_attempt(3000),
        runtime=per_attempt(15),
        gpu=1,
    params:
        cfg=SGC["labelling"],
        seed=config["seed"],
        device=config["device"],
    script:
        "../scripts/label_gan_samples.py"


rule invert_real:
    input:
        table=rules.shapes_dataset.output.table,
        images=rules.shapes_dataset.output.images,
        gan=rules.train_gan.output.model,
        classifier=rules.train_classifier.output.model,
        lib=code("invert_real"),
    output:
        latents=out(SG, "inverted.parquet"),
        table=out(SG, "samples", "inversion.parquet"),
        images=directory(out(SG, "samples", "inversion")),
        metrics=out(SG, "metrics", "inversion.parquet"),
    log:
        logp(SG, "invert_real"),
    benchmark:
        bench(SG, "invert_real")
    conda:
        "../envs/plugen.yaml"
    threads: THREADS
    resources:
        mem_mb=per_attempt(3000),
        runtime=per_attempt(30),
        gpu=1,
    params:
        cfg=SGC["inversion"],
        seed=config["seed"],
        device=config["device"],
    script:
        "../scripts/invert_real.py"


rule gan_timing:
    input:
        plugin=out(SG, "models", "plugin.pt"),
        history=out(SG, "history", "plugin.parquet"),
        gan=rules.train_gan.output.model,
        latents=rules.label_gan_samples.output.latents,
        lib=code("gan_timing"),
    output:
        metrics=out(SG, "metrics", "timing.parquet"),
    log:
        logp(SG, "gan_timing"),
    benchmark:
        bench(SG, "gan_timing")
    conda:
        "../envs/plugen.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(5),
        gpu=1,
    params:
        device=config["device"],
        # read if present: a benchmark is a record, not an input
        flow_benchmark=bench(SG, "train_flow"),
    script:
        "../scripts/gan_timing.py"


rule gan_figures:
    input:
        gan=rules.train_gan.output.model,
        history=rules.train_gan.output.history,
        lib=code("gan_figures"),
    output:
        figures=report(
            directory(out(SG, "gan_figures")),
            patterns=["{name}.png"],
            category="Figures",
            subcategory=SG,
            caption="../report/gan_figures.rst",
        ),
    log:
        logp(SG, "gan_figures"),
    benchmark:
        bench(SG, "gan_figures")
    conda:
        "../envs/plugen.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(1000),
        runtime=per_attempt(5),
    params:
        seed=config["seed"],
    script:
        "../scripts/gan_figures.py"
