# shapes_vae: procedural images -> conv VAE -> PluGeN -> tasks judged by an external classifier.
SV = "shapes_vae"
SVC = config["shapes_vae"]


rule shapes_dataset:
    output:
        table=out(SV, "data", "dataset.parquet"),
        images=directory(out(SV, "data", "images")),
        clf_table=out(SV, "data", "classifier_set.parquet"),
        clf_images=directory(out(SV, "data", "clf_images")),
    params:
        data=SVC["data"],
        seed=config["seed"],
    log:
        logp(SV, "shapes_dataset"),
    benchmark:
        bench(SV, "shapes_dataset")
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
        model=out(SV, "models", "classifier.pt"),
        history=out(SV, "history", "classifier.parquet"),
        metrics=out(SV, "metrics", "classifier.parquet"),
    params:
        cfg=SVC["classifier"],
        seed=config["seed"],
        device=config["device"],
    log:
        logp(SV, "train_classifier"),
    benchmark:
        bench(SV, "train_classifier")
    threads: 2
    resources:
        mem_mb=3000,
        runtime=30,
        gpu=1,
    script:
        "../workflow/scripts/train_classifier.py"


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


rule train_flow:
    input:
        latents=rules.extract_latents.output.latents,
        lib=lib("model.py", "flows.py", "priors.py", "train.py"),
    output:
        model=out(SV, "models", "plugin.pt"),
        history=out(SV, "history", "plugin.parquet"),
    params:
        cfg=SVC["flow"],
        seed=config["seed"],
        device=config["device"],
    log:
        logp(SV, "train_flow"),
    benchmark:
        bench(SV, "train_flow")
    threads: 2
    resources:
        mem_mb=3000,
        runtime=60,
        gpu=1,
    script:
        "../workflow/scripts/train_flow.py"


rule sample:
    input:
        plugin=rules.train_flow.output.model,
        vae=rules.train_vae.output.model,
        latents=rules.extract_latents.output.latents,
        lib=lib("tasks.py", "model.py"),
    output:
        table=out(SV, "samples", "{task}.parquet"),
        images=directory(out(SV, "samples", "{task}")),
    params:
        tasks=SVC["tasks"],
        heldout=SVC["data"]["heldout"],
        seed=config["seed"],
        device=config["device"],
    wildcard_constraints:
        task="generation|manipulation|gradual",
    log:
        logp(SV, "sample_{task}"),
    benchmark:
        bench(SV, "sample_{task}")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
        gpu=1,
    script:
        "../workflow/scripts/sample.py"


rule score:
    input:
        table=out(SV, "samples", "{task}.parquet"),
        images=out(SV, "samples", "{task}"),
        classifier=rules.train_classifier.output.model,
    output:
        scores=out(SV, "scores", "{task}.parquet"),
    log:
        logp(SV, "score_{task}"),
    benchmark:
        bench(SV, "score_{task}")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../workflow/scripts/score.py"


rule evaluate_task:
    input:
        samples=out(SV, "samples", "{task}.parquet"),
        scores=out(SV, "scores", "{task}.parquet"),
        latents=rules.extract_latents.output.latents,
        lib=lib("tasks.py", "evaluate/metrics.py"),
    output:
        metrics=out(SV, "metrics", "{task}.parquet"),
    params:
        tasks=SVC["tasks"],
        heldout=SVC["data"]["heldout"],
    wildcard_constraints:
        task="generation|manipulation|gradual",
    log:
        logp(SV, "evaluate_{task}"),
    benchmark:
        bench(SV, "evaluate_{task}")
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../workflow/scripts/evaluate_task.py"


rule fid:
    input:
        table=rules.shapes_dataset.output.table,
        images=rules.shapes_dataset.output.images,
        generated=out(SV, "samples", "generation.parquet"),
        generated_images=out(SV, "samples", "generation"),
        vae=rules.train_vae.output.model,
        classifier=rules.train_classifier.output.model,
        lib=lib("evaluate/fid.py"),
    output:
        metrics=out(SV, "metrics", "fid.parquet"),
    params:
        inception=SVC["tasks"]["fid"]["inception_path"],
    log:
        logp(SV, "fid"),
    benchmark:
        bench(SV, "fid")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../workflow/scripts/fid.py"
