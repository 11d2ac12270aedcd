# The inpaint task of the image experiments (<exp>.inpaint): masked test images filled by each
# method (plugen.inverse.task), then judged and measured in one job with figure strips. The test
# images are the real ones, or, without an image data set (custom), the decoded test latents.


rule inpaint:
    input:
        table=inpaint_table,
        images=inpaint_image_dir,
        plugin=inpaint_plugin,
        decoder=decoder_file,
        lib=code("inpaint"),
    output:
        table=out("{exp}", "inpaint", "{method}.parquet"),
        images=directory(out("{exp}", "inpaint", "{method}")),
    log:
        logp("{exp}", "inpaint_{method}"),
    benchmark:
        bench("{exp}", "inpaint_{method}")
    wildcard_constraints:
        exp=IMAGE_EXPS,
        method="[a-z0-9]+",
    conda:
        "../envs/plugen.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(15),
        gpu=1,
    params:
        section=lambda wc: spec(wc.exp).inpaint(config),
        attributes=lambda wc: list(spec(wc.exp).attributes(config)),
        decoder=lambda wc: decoder(wc.exp),
        seed=config["seed"],
        device=config["device"],
    script:
        "../scripts/inpaint.py"


rule inpaint_evaluate:
    input:
        table=inpaint_table,
        images=inpaint_image_dir,
        fills=lambda wc: [
            out(wc.exp, "inpaint", f"{m}.parquet") for m in inpaint_methods(wc)
        ],
        fill_images=lambda wc: [out(wc.exp, "inpaint", m) for m in inpaint_methods(wc)],
        judge=lambda wc: judge(wc.exp)["path"],
        lib=lambda wc: code("inpaint_evaluate", *counterfactual_module(wc)),
    output:
        metrics=out("{exp}", "metrics", "inpaint.parquet"),
        figures=report(
            directory(out("{exp}", "inpaint_figures")),
            patterns=["{name}.png"],
            category="Figures",
            subcategory="{exp}",
            caption="../report/inpaint.rst",
        ),
    log:
        logp("{exp}", "inpaint_evaluate"),
    benchmark:
        bench("{exp}", "inpaint_evaluate")
    wildcard_constraints:
        exp=IMAGE_EXPS,
    conda:
        "../envs/plugen.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(10),
    params:
        section=lambda wc: spec(wc.exp).inpaint(config),
        methods=inpaint_methods,
        attributes=lambda wc: list(spec(wc.exp).attributes(config)),
        kinds=lambda wc: spec(wc.exp).attributes(config),
        binary=lambda wc: judged_binary(wc.exp),
        counterfactuals=lambda wc: spec(wc.exp).inpaint_counterfactuals(config),
        inception=lambda wc: spec(wc.exp).inception_path(config),
        judge=lambda wc: judge(wc.exp),
        seed=config["seed"],
        device=config["device"],
    script:
        "../scripts/inpaint_evaluate.py"


rule inpaint_truth:
    # an experiment without an image data set: its test latents decoded are the images masked
    input:
        latents=out("{exp}", "latents.parquet"),
        decoder=decoder_file,
        lib=code("inpaint_truth"),
    output:
        table=out("{exp}", "inpaint_truth", "dataset.parquet"),
        images=directory(out("{exp}", "inpaint_truth", "images")),
    log:
        logp("{exp}", "inpaint_truth"),
    benchmark:
        bench("{exp}", "inpaint_truth")
    wildcard_constraints:
        exp=IMAGE_EXPS,
    conda:
        "../envs/plugen.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(1000),
        runtime=per_attempt(5),
        gpu=1,
    params:
        n_images=lambda wc: spec(wc.exp).inpaint(config)["n_images"],
        decoder=lambda wc: decoder(wc.exp),
        device=config["device"],
    script:
        "../scripts/inpaint_truth.py"
