# Procedural shapes and their external classifier, shared by shapes_vae and shapes_gan.
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
        "../environment.yml"
    threads: 1
    resources:
        mem_mb=per_attempt(1000 + 3 * SH_PIXELS_MB),  # images, PNG buffers, tables
        runtime=per_attempt(10 + SH_PIXELS_MB // 20),
    params:
        data=SHC["data"],
        seed=config["seed"],
    script:
        "../workflow/scripts/shapes_dataset.py"


rule train_classifier:
    input:
        clf_table=rules.shapes_dataset.output.clf_table,
        clf_images=rules.shapes_dataset.output.clf_images,
        table=rules.shapes_dataset.output.table,
        images=rules.shapes_dataset.output.images,
        lib=lib("evaluate/classifier.py", "train.py"),
    output:
        model=out(SH, "models", "classifier.pt"),
        history=out(SH, "history", "classifier.parquet"),
        metrics=out(SH, "metrics", "classifier.parquet"),
    log:
        logp(SH, "train_classifier"),
    benchmark:
        bench(SH, "train_classifier")
    conda:
        "../environment.yml"
    threads: 2
    resources:
        mem_mb=per_attempt(2000 + 4 * SH_PIXELS_MB),
        runtime=per_attempt(30 + SH_PIXELS_MB // 5),
        gpu=1,
    params:
        cfg=SHC["classifier"],
        seed=config["seed"],
        device=config["device"],
    script:
        "../workflow/scripts/train_classifier.py"
