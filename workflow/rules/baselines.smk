# The paper's rivals beside PluGeN: each experiment's spec names them (rivals(config), from
# <exp>.baselines.methods). A rival trains on the same train/val rows and labels as PluGeN (a
# latent rival on the latents, an image rival, MSP or cVAE, on the images they were encoded
# from), then answers the same requests through the image-task rules (sample/score/
# evaluate_task with run = "<exp>/baselines/<method>"); the comparison tables put every method
# of a task side by side.


rule train_baseline:
    input:
        latents=out("{exp}", "latents.parquet"),
        dataset=rival_dataset,
        lib=code("train_baseline"),
    output:
        model=run_path("{exp}", "{method}", "model.pt"),
        history=run_path("{exp}", "{method}", "history.parquet"),
    log:
        logp("{exp}", "train_baseline_{method}"),
    benchmark:
        bench("{exp}", "train_baseline_{method}")
    wildcard_constraints:
        exp=IMAGE_EXPS,
        method=RIVALS,
    conda:
        "../envs/plugen.yaml"
    threads: THREADS
    resources:
        mem_mb=per_attempt(3000),
        runtime=per_attempt(60),
        gpu=1,
    params:
        cfg=lambda wc: experiments.rival_settings(config, wc.exp, wc.method),
        kinds=lambda wc: spec(wc.exp).attributes(config),
        label_fraction=lambda wc: config[wc.exp]["flow"]["label_fraction"],
        posterior=lambda wc: config[wc.exp]["flow"]["posterior"],
        seed=config["seed"],
        device=config["device"],
    script:
        "../scripts/train_baseline.py"


rule compare_task:
    input:
        metrics=compared_metrics,
        lib=code("compare_baselines"),
    output:
        metrics=out("{exp}", "metrics", "compare_{task}.parquet"),
    log:
        logp("{exp}", "compare_{task}"),
    benchmark:
        bench("{exp}", "compare_{task}")
    wildcard_constraints:
        exp=IMAGE_EXPS,
        task=IMAGE_TASKS,
    conda:
        "../envs/plugen.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(1000),
        runtime=per_attempt(5),
    params:
        methods=lambda wc: list(spec(wc.exp).compared_methods(config, wc.task)),
        temperature=lambda wc: (
            config[wc.exp]["tasks"][wc.task].get("temperature", 1.0)
            if wc.task == "generation"
            else None
        ),
    script:
        "../scripts/compare_baselines.py"


rule rivals_training:
    input:
        histories=training_histories,
        models=lambda wc: [editor_file(wc.exp, m) for m in training_methods(wc.exp)],
        latents=out("{exp}", "latents.parquet"),
        lib=code("summarize_baselines"),
    output:
        metrics=out("{exp}", "metrics", "rivals_training.parquet"),
    log:
        logp("{exp}", "rivals_training"),
    benchmark:
        bench("{exp}", "rivals_training")
    wildcard_constraints:
        exp=IMAGE_EXPS,
    conda:
        "../envs/plugen.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(5),
    params:
        device=config["device"],
        methods=lambda wc: training_methods(wc.exp),
        # read if present: benchmarks are records, not inputs (deleting them reruns nothing)
        benchmarks=lambda wc: [
            bench(wc.exp, "train_flow" if m == "plugen" else f"train_baseline_{m}")
            for m in training_methods(wc.exp)
        ],
        caps=lambda wc: [epoch_cap(wc.exp, m) for m in training_methods(wc.exp)],
        posterior=lambda wc: config[wc.exp]["flow"]["posterior"],
    script:
        "../scripts/summarize_baselines.py"
