# The paper's rivals beside PluGeN: each experiment's spec names them (rivals(config), from
# <exp>.baselines.methods). A rival trains on the same latents, train/val rows and labels as
# PluGeN, then answers the same requests through the image-task rules (sample/score/
# evaluate_task with run = "<exp>/baselines/<method>"); the comparison tables put every method
# of a task side by side.


def rival_lib(wc):
    flows = ("baselines/cflow.py", "train.py") if wc.method != "interfacegan" else ()
    return lib("baselines/__init__.py", "baselines/base.py", f"baselines/{wc.method}.py", *flows)


rule train_baseline:
    input:
        latents=out("{exp}", "latents.parquet"),
        lib=rival_lib,
    output:
        model=run_path("{exp}", "{method}", "model.pt"),
        history=run_path("{exp}", "{method}", "history.parquet"),
    params:
        cfg=lambda wc: config[wc.exp]["baselines"][wc.method],
        kinds=lambda wc: spec(wc.exp).attributes(config),
        label_fraction=lambda wc: config[wc.exp]["flow"]["label_fraction"],
        seed=config["seed"],
        device=config["device"],
    wildcard_constraints:
        exp=IMAGE_EXPS,
        method=RIVALS,
    log:
        logp("{exp}", "train_baseline_{method}"),
    benchmark:
        bench("{exp}", "train_baseline_{method}")
    threads: 2
    resources:
        mem_mb=per_attempt(3000),
        runtime=per_attempt(60),
        gpu=1,
    script:
        "../workflow/scripts/train_baseline.py"


def compared_metrics(wc):
    methods = spec(wc.exp).compared_methods(config, wc.task)
    return [run_path(wc.exp, m, "metrics", f"{wc.task}.parquet") for m in methods]


rule compare_task:
    input:
        metrics=compared_metrics,
        lib=lib("summary.py"),
    output:
        metrics=out("{exp}", "metrics", "compare_{task}.parquet"),
    params:
        methods=lambda wc: list(spec(wc.exp).compared_methods(config, wc.task)),
    wildcard_constraints:
        exp=IMAGE_EXPS,
        task=IMAGE_TASKS,
    log:
        logp("{exp}", "compare_{task}"),
    benchmark:
        bench("{exp}", "compare_{task}")
    threads: 1
    resources:
        mem_mb=per_attempt(1000),
        runtime=per_attempt(5),
    script:
        "../workflow/scripts/compare_baselines.py"


def training_methods(exp):
    return ["plugen", *spec(exp).rivals(config)]


def epoch_cap(exp, method):
    """The epoch cap of a method's training (None: a closed-form fit)."""
    if method == "plugen":
        return config[exp]["flow"]["train"]["epochs"]
    section = config[exp]["baselines"][method]
    return section["train"]["epochs"] if "train" in section else None


rule rivals_training:
    input:
        histories=lambda wc: [
            out(wc.exp, "history", "plugin.parquet")
            if m == "plugen"
            else run_path(wc.exp, m, "history.parquet")
            for m in training_methods(wc.exp)
        ],
        benchmarks=lambda wc: [
            bench(wc.exp, "train_flow" if m == "plugen" else f"train_baseline_{m}")
            for m in training_methods(wc.exp)
        ],
        lib=lib("summary.py"),
    output:
        metrics=out("{exp}", "metrics", "rivals_training.parquet"),
    params:
        methods=lambda wc: training_methods(wc.exp),
        caps=lambda wc: [epoch_cap(wc.exp, m) for m in training_methods(wc.exp)],
    wildcard_constraints:
        exp=IMAGE_EXPS,
    log:
        logp("{exp}", "rivals_training"),
    benchmark:
        bench("{exp}", "rivals_training")
    threads: 1
    resources:
        mem_mb=per_attempt(1000),
        runtime=per_attempt(5),
    script:
        "../workflow/scripts/summarize_baselines.py"
