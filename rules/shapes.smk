# Procedural shapes and their external classifier, shared by shapes_vae and shapes_gan.
SH = "shapes"
SHC = config["shapes"]
SUMMARY_TABLES[SH] = [out(SH, "metrics", "classifier.parquet")]


rule shapes_dataset:
    output:
        table=out(SH, "data", "dataset.parquet"),
        images=directory(out(SH, "data", "images")),
        clf_table=out(SH, "data", "classifier_set.parquet"),
        clf_images=directory(out(SH, "data", "clf_images")),
    params:
        data=SHC["data"],
        seed=config["seed"],
    log:
        logp(SH, "shapes_dataset"),
    benchmark:
        bench(SH, "shapes_dataset")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
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
    params:
        cfg=SHC["classifier"],
        seed=config["seed"],
        device=config["device"],
    log:
        logp(SH, "train_classifier"),
    benchmark:
        bench(SH, "train_classifier")
    threads: 2
    resources:
        mem_mb=3000,
        runtime=30,
        gpu=1,
    script:
        "../workflow/scripts/train_classifier.py"
