# Image tasks shared by every image experiment: answer requests with the plugin, decode with the
# experiment's decoder, judge with its judge, turn the judgement into metrics. What each
# experiment runs (tasks, decoder, judge, held-out combinations, FID sets) comes from its spec.


def decoder(exp):
    d = spec(exp).decoder(config)
    return d.as_dict() if d else None


def judge(exp):
    return spec(exp).judge(config).as_dict()


def decoder_file(wc):
    d = spec(wc.exp).decoder(config)
    return [d.path] if d else []


def task_sources(wc):
    """Latents of the images a task edits (inverted real images for shapes_gan's flip_real)."""
    return out(wc.exp, spec(wc.exp).task_source(wc.task))


rule sample:
    input:
        plugin=out("{exp}", "models", "plugin.pt"),
        decoder=decoder_file,
        sources=task_sources,
        lib=lib("tasks.py", "model.py", "backbones/__init__.py"),
    output:
        table=out("{exp}", "samples", "{task}.parquet"),
        images=directory(out("{exp}", "samples", "{task}")),
    params:
        decoder=lambda wc: decoder(wc.exp),
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
        judge=lambda wc: spec(wc.exp).judge(config).path,
        lib=lib("evaluate/judge.py"),
    output:
        scores=out("{exp}", "scores", "{task}.parquet"),
    params:
        judge=lambda wc: judge(wc.exp),
        kinds=lambda wc: spec(wc.exp).attributes(config),
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
        binary=lambda wc: [a for a in spec(wc.exp).judged(config) if a in spec(wc.exp).binary(config)],
        heldout=lambda wc: spec(wc.exp).heldout(config),
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


def figure_tables(wc):
    return [out(wc.exp, "samples", f"{t}.parquet") for t in spec(wc.exp).figure_tasks(config)]


rule task_figures:
    input:
        dataset=lambda wc: spec(wc.exp).real_images(config) or [],
        samples=figure_tables,
        sample_images=lambda wc: [p[: -len(".parquet")] for p in figure_tables(wc)],
        latents=out("{exp}", "latents.parquet"),
        decoder=decoder_file,
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
        decoder=lambda wc: decoder(wc.exp),
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
    sets = spec(wc.exp).fid_sets(config)
    return [out(wc.exp, "samples", f"{t}.parquet") for t in sets if t != "reconstruction"]


rule fid:
    input:
        table=lambda wc: spec(wc.exp).real_images(config),
        samples=fid_tables,
        sample_images=lambda wc: [p[: -len(".parquet")] for p in fid_tables(wc)],
        decoder=decoder_file,
        judge=lambda wc: spec(wc.exp).judge(config).path,
        lib=lib("evaluate/fid.py"),
    output:
        metrics=out("{exp}", "metrics", "fid.parquet"),
    params:
        reconstruct=lambda wc: "reconstruction" in spec(wc.exp).fid_sets(config),
        inception=lambda wc: spec(wc.exp).inception_path(config),
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
