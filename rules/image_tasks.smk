# Image tasks shared by every image experiment: answer requests with an editor, decode with the
# experiment's decoder, judge with its judge, turn the judgement into metrics. What each
# experiment runs (tasks, decoder, judge, held-out combinations, FID sets) comes from its spec.
# sample/score/evaluate_task serve a {run}: "<exp>" (PluGeN, results/<exp>/...) or
# "<exp>/baselines/<method>" (a rival, results/<exp>/baselines/<method>/..., same schemas).
from plugen.experiments import RIVAL_OPERATIONS, parse_run, run_path  # noqa: E402

RIVALS = "|".join(RIVAL_OPERATIONS)
RUNS = f"({IMAGE_EXPS})(/baselines/({RIVALS}))?"


def decoder(exp):
    d = spec(exp).decoder(config)
    return d.as_dict() if d else None


def judge(exp):
    return spec(exp).judge(config).as_dict()


def decoder_file(wc):
    d = spec(exp_of(wc)).decoder(config)
    return [d.path] if d else []


def exp_of(wc):
    """The experiment of a rule's wildcards ({exp}, or the experiment of {run})."""
    return wc.exp if "exp" in wc.keys() else parse_run(wc.run)[0]


def task_sources(wc):
    """Latents of the images a task edits (inverted real images for shapes_gan's flip_real)."""
    return out(exp_of(wc), spec(exp_of(wc)).task_source(wc.task))


def editor_model(wc):
    """PluGeN's plugin, or a rival's model.pt."""
    exp, method = parse_run(wc.run)
    if method == "plugen":
        return out(exp, "models", "plugin.pt")
    return run_path(exp, method, "model.pt")


def editor_lib(wc):
    method = parse_run(wc.run)[1]
    if method == "plugen":
        return lib("tasks.py", "model.py", "backbones/__init__.py")
    return lib("tasks.py", "backbones/__init__.py", "baselines/base.py", f"baselines/{method}.py")


rule sample:
    input:
        plugin=editor_model,
        decoder=decoder_file,
        sources=task_sources,
        lib=editor_lib,
    output:
        table=out("{run}", "samples", "{task}.parquet"),
        images=directory(out("{run}", "samples", "{task}")),
    params:
        # PluGeN: sample.py; a rival: sample_baseline.py (sources' labels, rival loading)
        script=lambda wc: "sample" if parse_run(wc.run)[1] == "plugen" else "sample_baseline",
        decoder=lambda wc: decoder(exp_of(wc)),
        tasks=lambda wc: config[exp_of(wc)]["tasks"],
        seed=config["seed"],
        device=config["device"],
    wildcard_constraints:
        run=RUNS,
        task=IMAGE_TASKS,
    log:
        logp("{run}", "sample_{task}"),
    benchmark:
        bench("{run}", "sample_{task}")
    threads: 1
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(10),
        gpu=1,
    script:
        "../workflow/scripts/{params.script}.py"


rule score:
    input:
        table=out("{run}", "samples", "{task}.parquet"),
        images=out("{run}", "samples", "{task}"),
        judge=lambda wc: spec(exp_of(wc)).judge(config).path,
        lib=lib("evaluate/judge.py"),
    output:
        scores=out("{run}", "scores", "{task}.parquet"),
    params:
        judge=lambda wc: judge(exp_of(wc)),
        kinds=lambda wc: spec(exp_of(wc)).attributes(config),
    wildcard_constraints:
        run=RUNS,
        task=IMAGE_TASKS,
    log:
        logp("{run}", "score_{task}"),
    benchmark:
        bench("{run}", "score_{task}")
    threads: 1
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(10),
    script:
        "../workflow/scripts/score.py"


rule evaluate_task:
    input:
        samples=out("{run}", "samples", "{task}.parquet"),
        scores=out("{run}", "scores", "{task}.parquet"),
        sources=task_sources,
        lib=lib("tasks.py", "evaluate/metrics.py"),
    output:
        metrics=out("{run}", "metrics", "{task}.parquet"),
    params:
        tasks=lambda wc: config[exp_of(wc)]["tasks"],
        binary=lambda wc: [
            a for a in spec(exp_of(wc)).judged(config) if a in spec(exp_of(wc)).binary(config)
        ],
        heldout=lambda wc: spec(exp_of(wc)).heldout(config),
    wildcard_constraints:
        run=RUNS,
        task=IMAGE_TASKS,
    log:
        logp("{run}", "evaluate_{task}"),
    benchmark:
        bench("{run}", "evaluate_{task}")
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
