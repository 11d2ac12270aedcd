# Procedural shapes and their external classifier, shared by shapes_vae and shapes_gan. The
# classifier rule also trains the judge of any image experiment in JUDGE_EXPS (celeba_vae).
SH = "shapes"
SHC = config["shapes"]
# uint8 pixels of every rendered image (all splits + the classifier's set), for memory sizing
SH_PIXELS_MB = (
    sum(v for k, v in SHC["data"].items() if k.startswith("n_"))
    * SHC["data"]["size"] ** 2
    * 3
) // 1_000_000


rule shapes_dataset:
    output:
        table=out(SH, "data", "dataset.parquet"),
        images=directory(out(SH, "data", "images")),
        clf_table=out(SH, "data", "classifier_set.parquet"),
        clf_images=directory(out(SH, "data", "clf_images")),
    log:
        logp(SH, "shapes_dataset"),
    benchmark:
        bench(SH, "shapes_dataset")
    conda:
        "../envs/plugen.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(1000 + 3 * SH_PIXELS_MB),  # images, PNG buffers, tables
        runtime=per_attempt(10 + SH_PIXELS_MB // 20),
    params:
        data=SHC["data"],
        seed=config["seed"],
    script:
        "../scripts/shapes_dataset.py"


# The judge: trained on its training table's train rows, scored on the data set's test split.
# This rule is the shapes classifier (fixed paths: shapes_gan reads rules.train_classifier);
# train_judge below is the same rule for {exp}.
rule train_classifier:
    input:
        unpack(judge_data),
        lib=code("train_classifier"),
    output:
        model=out(SH, "models", "classifier.pt"),
        history=out(SH, "history", "classifier.parquet"),
        metrics=out(SH, "metrics", "classifier.parquet"),
    log:
        logp(SH, "train_classifier"),
    benchmark:
        bench(SH, "train_classifier")
    conda:
        "../envs/plugen.yaml"
    threads: THREADS
    resources:
        mem_mb=lambda wc, attempt: attempt * (2000 + 4 * judge_pixels_mb(wc)),
        runtime=lambda wc, attempt: attempt * (30 + judge_pixels_mb(wc) // 5),
        gpu=1,
    params:
        cfg=judge_config,
        kinds=judge_kinds,
        seed=config["seed"],
        device=config["device"],
    script:
        "../scripts/train_classifier.py"


use rule train_classifier as train_judge with:
    output:
        model=out("{exp}", "models", "classifier.pt"),
        history=out("{exp}", "history", "classifier.parquet"),
        metrics=out("{exp}", "metrics", "classifier.parquet"),
    log:
        logp("{exp}", "train_classifier"),
    benchmark:
        bench("{exp}", "train_classifier")
    wildcard_constraints:
        exp=JUDGE_EXPS,
