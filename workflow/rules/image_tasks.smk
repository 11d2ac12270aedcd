# Image tasks shared by every image experiment: answer requests with an editor, decode with the
# experiment's decoder, judge with its judge, turn the judgement into metrics. What each
# experiment runs (tasks, decoder, judge, held-out combinations, FID sets) comes from its spec.
# sample/score/evaluate_task serve a {run}: "<exp>" (PluGeN, results/<exp>/...) or
# "<exp>/baselines/<method>" (a rival, results/<exp>/baselines/<method>/..., same schemas).


rule sample:
    input:
        plugin=editor_model,
        decoder=decoder_file,
        sources=task_sources,
        dataset=rival_dataset,
        lib=code("sample"),
    output:
        table=out("{run}", "samples", "{task}.parquet"),
        images=directory(out("{run}", "samples", "{task}")),
    log:
        logp("{run}", "sample_{task}"),
    benchmark:
        bench("{run}", "sample_{task}")
    wildcard_constraints:
        run=RUNS,
        task=IMAGE_TASKS,
    conda:
        "../envs/plugen.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(10),
        gpu=1,
    params:
        method=lambda wc: parse_run(wc.run)[1],
        decoder=lambda wc: decoder(exp_of(wc)),
        task_cfg=lambda wc: config[exp_of(wc)]["tasks"][wc.task],
        seed=config["seed"],
        device=config["device"],
    script:
        "../scripts/sample.py"


rule score:
    input:
        table=out("{run}", "samples", "{task}.parquet"),
        images=out("{run}", "samples", "{task}"),
        judge=lambda wc: judge(exp_of(wc))["path"],
        lib=code("score"),
    output:
        scores=out("{run}", "scores", "{task}.parquet"),
    log:
        logp("{run}", "score_{task}"),
    benchmark:
        bench("{run}", "score_{task}")
    wildcard_constraints:
        run=RUNS,
        task=IMAGE_TASKS,
    conda:
        "../envs/plugen.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(10),
    params:
        judge=lambda wc: judge(exp_of(wc)),
        kinds=lambda wc: spec(exp_of(wc)).attributes(config),
    script:
        "../scripts/score.py"


rule evaluate_task:
    input:
        samples=out("{run}", "samples", "{task}.parquet"),
        scores=out("{run}", "scores", "{task}.parquet"),
        sources=task_sources,
        lib=code("evaluate_task"),
    output:
        metrics=out("{run}", "metrics", "{task}.parquet"),
    log:
        logp("{run}", "evaluate_{task}"),
    benchmark:
        bench("{run}", "evaluate_{task}")
    wildcard_constraints:
        run=RUNS,
        task=IMAGE_TASKS,
    conda:
        "../envs/plugen.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(1000),
        runtime=per_attempt(5),
    params:
        binary=lambda wc: judged_binary(exp_of(wc)),
        heldout=lambda wc: spec(exp_of(wc)).heldout(config),
    script:
        "../scripts/evaluate_task.py"


rule task_figures:
    input:
        dataset=lambda wc: spec(wc.exp).real_images(config) or [],
        samples=figure_tables,
        sample_images=lambda wc: [p[: -len(".parquet")] for p in figure_tables(wc)],
        latents=out("{exp}", "latents.parquet"),
        decoder=decoder_file,
        lib=code("task_figures"),
    output:
        figures=report(
            directory(out("{exp}", "figures")),
            patterns=["{name}.png"],
            category="Figures",
            subcategory="{exp}",
            caption="../report/figures.rst",
        ),
    log:
        logp("{exp}", "figures"),
    benchmark:
        bench("{exp}", "figures")
    wildcard_constraints:
        exp=IMAGE_EXPS,
    conda:
        "../envs/plugen.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(1000),
        runtime=per_attempt(5),
    params:
        decoder=lambda wc: decoder(wc.exp),
    script:
        "../scripts/task_figures.py"


rule fid:
    input:
        table=lambda wc: spec(wc.exp).real_images(config),
        samples=fid_tables,
        sample_images=lambda wc: [p[: -len(".parquet")] for p in fid_tables(wc)],
        decoder=decoder_file,
        judge=lambda wc: judge(wc.exp)["path"],
        lib=code("fid"),
    output:
        metrics=out("{exp}", "metrics", "fid.parquet"),
    log:
        logp("{exp}", "fid"),
    benchmark:
        bench("{exp}", "fid")
    wildcard_constraints:
        exp=IMAGE_EXPS,
    conda:
        "../envs/plugen.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(10),
    params:
        runs=fid_runs,
        reconstruct=lambda wc: "reconstruction" in spec(wc.exp).fid_sets(config),
        inception=lambda wc: spec(wc.exp).inception_path(config),
    script:
        "../scripts/fid.py"


rule generation_sweep:
    # generation at each temperature of tasks.generation.sweep, PluGeN and every rival that
    # generates: F1/AUC and FID per (method, temperature), and the trade-off figure
    input:
        editors=generating_editors,
        decoder=decoder_file,
        real=lambda wc: spec(wc.exp).real_images(config),
        features=lambda wc: judge(wc.exp)["path"],
        lib=code("generation_sweep"),
    output:
        metrics=out("{exp}", "metrics", "generation_sweep.parquet"),
        figures=report(
            directory(out("{exp}", "sweep_figures")),
            patterns=["{name}.png"],
            category="Figures",
            subcategory="{exp}",
            caption="../report/sweep.rst",
        ),
    log:
        logp("{exp}", "generation_sweep"),
    benchmark:
        bench("{exp}", "generation_sweep")
    wildcard_constraints:
        exp=IMAGE_EXPS,
    conda:
        "../envs/plugen.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(3000),
        runtime=per_attempt(20),
        gpu=1,
    params:
        methods=lambda wc: list(spec(wc.exp).compared_methods(config, "generation")),
        temperatures=lambda wc: spec(wc.exp).sweep_temperatures(config),
        task_cfg=lambda wc: config[wc.exp]["tasks"]["generation"],
        decoder=lambda wc: decoder(wc.exp),
        judge=lambda wc: judge(wc.exp),
        kinds=lambda wc: spec(wc.exp).attributes(config),
        binary=lambda wc: judged_binary(wc.exp),
        seed=config["seed"],
        device=config["device"],
    script:
        "../scripts/generation_sweep.py"
