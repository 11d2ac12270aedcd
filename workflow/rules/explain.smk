# Counterfactual explanations (plugen.explain): the fewest attribute changes that flip a decision
# model, found by PluGeN in its attribute coordinates and by a latent-gradient baseline, for an
# image experiment whose <exp>.explain.enabled is true. The decision model is the user's
# TorchScript file (<exp>.explain.model, reading images or, with explain.input: latent, latents)
# or a CNN trained here on a hidden rule over the attributes (<exp>.explain.rule; shapes and
# celeba_vae), which the explainer never sees. Helpers: rules/common.smk.


rule train_decision_model:
    input:
        table=lambda wc: spec(wc.exp).rule_images(config),
        test=lambda wc: spec(wc.exp).real_images(config),
        lib=code("explain_decision"),
    output:
        model=out("{exp}", "models", "decision.pt"),
        history=out("{exp}", "history", "decision.parquet"),
        metrics=out("{exp}", "metrics", "decision_model.parquet"),
    log:
        logp("{exp}", "train_decision_model"),
    benchmark:
        bench("{exp}", "train_decision_model")
    wildcard_constraints:
        exp=IMAGE_EXPS,
    conda:
        "../envs/plugen.yaml"
    threads: THREADS
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(20),
        gpu=1,
    params:
        rule=lambda wc: explain_cfg(wc.exp)["rule"],
        cfg=lambda wc: explain_cfg(wc.exp)["decision"],
        kinds=lambda wc: spec(wc.exp).attributes(config),
        seed=config["seed"],
        device=config["device"],
    script:
        "../scripts/explain_decision.py"


rule counterfactual:
    input:
        plugin=out("{exp}", "models", "plugin.pt"),
        decoder=explain_decoder_file,
        model=decision_file,
        latents=out("{exp}", "latents.parquet"),
        judge=explain_judge_file,
        lib=code("explain_counterfactuals"),
    output:
        table=out("{exp}", "counterfactuals", "{method}.parquet"),
        images=directory(out("{exp}", "counterfactuals", "{method}")),
    log:
        logp("{exp}", "counterfactual_{method}"),
    benchmark:
        bench("{exp}", "counterfactual_{method}")
    wildcard_constraints:
        exp=IMAGE_EXPS,
        method="|".join(EXPLAIN_METHODS),
    conda:
        "../envs/plugen.yaml"
    threads: THREADS
    resources:
        mem_mb=per_attempt(3000),
        runtime=per_attempt(30),
        gpu=1,
    params:
        settings=lambda wc: explain_cfg(wc.exp),
        model=lambda wc: spec(wc.exp).decision_model(config),
        decoder=lambda wc: explain_decoder(wc.exp),
        judge=lambda wc: explain_judge(wc.exp),
        kinds=lambda wc: spec(wc.exp).attributes(config),
        device=config["device"],
    script:
        "../scripts/explain_counterfactuals.py"


rule explain_report:
    input:
        tables=counterfactual_tables,
        images=lambda wc: [t[: -len(".parquet")] for t in counterfactual_tables(wc)],
        plugin=out("{exp}", "models", "plugin.pt"),
        latents=out("{exp}", "latents.parquet"),
        decoder=explain_decoder_file,
        dataset=lambda wc: spec(wc.exp).real_images(config) or [],
        judge=explain_judge_file,
        lib=code("explain_report"),
    output:
        summary=out("{exp}", "metrics", "counterfactuals.parquet"),
        attributes=out("{exp}", "metrics", "counterfactual_attributes.parquet"),
        figures=report(
            directory(out("{exp}", "explain_figures")),
            patterns=["{name}.png"],
            category="Figures",
            subcategory="{exp}",
            caption="../report/figures.rst",
        ),
    log:
        logp("{exp}", "explain_report"),
    benchmark:
        bench("{exp}", "explain_report")
    wildcard_constraints:
        exp=IMAGE_EXPS,
    conda:
        "../envs/plugen.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(10),
    params:
        methods=list(EXPLAIN_METHODS),
        depends_on=lambda wc: spec(wc.exp).depends_on(config),
        attributes=lambda wc: list(spec(wc.exp).attributes(config)),
        judge=lambda wc: explain_judge(wc.exp),
        decoder=lambda wc: explain_decoder(wc.exp),
        n_figure=lambda wc: explain_cfg(wc.exp)["n_figure"],
        device=config["device"],
    script:
        "../scripts/explain_report.py"
