# Image tasks shared by shapes_vae and shapes_gan: answer requests with the plugin, decode with
# the experiment's backbone, judge with the external classifier, turn the judgement into metrics.
# Each image experiment registers IMAGE_BACKBONE[exp] ("vae" | "gan": models/<kind>.pt) and
# FIGURE_TASKS[exp].
IMAGE_BACKBONE = {}
FIGURE_TASKS = {}  # exp -> the tasks drawn in results/<exp>/figures
FID_SETS = {}  # exp -> sample sets compared with real test images ("reconstruction": VAE's)
IMAGE_EXPS = "shapes_vae|shapes_gan"
IMAGE_TASKS = "generation|manipulation|gradual|flip|flip_real"


def task_sources(wc):
    """Latents of the images a task edits: inverted real images for flip_real."""
    return out(wc.exp, "inverted.parquet" if wc.task == "flip_real" else "latents.parquet")


rule sample:
    input:
        plugin=out("{exp}", "models", "plugin.pt"),
        backbone=lambda wc: out(wc.exp, "models", f"{IMAGE_BACKBONE[wc.exp]}.pt"),
        sources=task_sources,
        lib=lib("tasks.py", "model.py", "backbones/__init__.py"),
    output:
        table=out("{exp}", "samples", "{task}.parquet"),
        images=directory(out("{exp}", "samples", "{task}")),
    params:
        backbone=lambda wc: IMAGE_BACKBONE[wc.exp],
        tasks=lambda wc: config[wc.exp]["tasks"],
        seed=config["seed"],
        device=config["device"],
    wildcard_constraints:
        exp=IMAGE_EXPS,
        task=IMAGE_TASKS,
    log:
        logp("{exp}", "sample_{task}"),
    benchmark:
        bench("{exp}", "sample_{task}")
    threads: 1
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(10),
        gpu=1,
    script:
        "../workflow/scripts/sample.py"


rule score:
    input:
        table=out("{exp}", "samples", "{task}.parquet"),
        images=out("{exp}", "samples", "{task}"),
        classifier=rules.train_classifier.output.model,
    output:
        scores=out("{exp}", "scores", "{task}.parquet"),
    wildcard_constraints:
        exp=IMAGE_EXPS,
    log:
        logp("{exp}", "score_{task}"),
    benchmark:
        bench("{exp}", "score_{task}")
    threads: 1
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(10),
    script:
        "../workflow/scripts/score.py"


rule evaluate_task:
    input:
        samples=out("{exp}", "samples", "{task}.parquet"),
        scores=out("{exp}", "scores", "{task}.parquet"),
        sources=task_sources,
        lib=lib("tasks.py", "evaluate/metrics.py"),
    output:
        metrics=out("{exp}", "metrics", "{task}.parquet"),
    params:
        tasks=lambda wc: config[wc.exp]["tasks"],
        heldout=config["shapes"]["data"]["heldout"],
    wildcard_constraints:
        exp=IMAGE_EXPS,
        task=IMAGE_TASKS,
    log:
        logp("{exp}", "evaluate_{task}"),
    benchmark:
        bench("{exp}", "evaluate_{task}")
    threads: 1
    resources:
        mem_mb=per_attempt(1000),
        runtime=per_attempt(5),
    script:
        "../workflow/scripts/evaluate_task.py"


rule task_figures:
    input:
        dataset=rules.shapes_dataset.output.table,
        images=rules.shapes_dataset.output.images,
        samples=lambda wc: expand(out(wc.exp, "samples", "{t}.parquet"), t=FIGURE_TASKS[wc.exp]),
        sample_images=lambda wc: expand(out(wc.exp, "samples", "{t}"), t=FIGURE_TASKS[wc.exp]),
        latents=out("{exp}", "latents.parquet"),
        backbone=lambda wc: out(wc.exp, "models", f"{IMAGE_BACKBONE[wc.exp]}.pt"),
        lib=lib("plots.py"),
    output:
        figures=report(
            directory(out("{exp}", "figures")),
            patterns=["{name}.png"],
            category="Figures",
            subcategory="{exp}",
            caption="../report/figures.rst",
        ),
    params:
        backbone=lambda wc: IMAGE_BACKBONE[wc.exp],
    wildcard_constraints:
        exp=IMAGE_EXPS,
    log:
        logp("{exp}", "figures"),
    benchmark:
        bench("{exp}", "figures")
    threads: 1
    resources:
        mem_mb=per_attempt(1000),
        runtime=per_attempt(5),
    script:
        "../workflow/scripts/task_figures.py"


def fid_tables(wc):
    return [out(wc.exp, "samples", f"{t}.parquet") for t in FID_SETS[wc.exp] if t != "reconstruction"]


rule fid:
    input:
        table=rules.shapes_dataset.output.table,
        images=rules.shapes_dataset.output.images,
        samples=fid_tables,
        sample_images=lambda wc: [p[: -len(".parquet")] for p in fid_tables(wc)],
        backbone=lambda wc: out(wc.exp, "models", f"{IMAGE_BACKBONE[wc.exp]}.pt"),
        classifier=rules.train_classifier.output.model,
        lib=lib("evaluate/fid.py"),
    output:
        metrics=out("{exp}", "metrics", "fid.parquet"),
    params:
        reconstruct=lambda wc: "reconstruction" in FID_SETS[wc.exp],
        inception=config["shapes"]["fid"]["inception_path"],
    wildcard_constraints:
        exp=IMAGE_EXPS,
    log:
        logp("{exp}", "fid"),
    benchmark:
        bench("{exp}", "fid")
    threads: 1
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(10),
    script:
        "../workflow/scripts/fid.py"
