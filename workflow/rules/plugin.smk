# The PluGeN flow, the same rule for every experiment: latents + labels in, plugin out.
# The experiment's spec names the attributes and their kinds; results/<exp>/latents.parquet
# holds the labels (train/val rows are trained on, others never).


rule train_flow:
    input:
        latents=out("{exp}", "latents.parquet"),
        lib=code("train_flow"),
    output:
        model=out("{exp}", "models", "plugin.pt"),
        history=out("{exp}", "history", "plugin.parquet"),
    log:
        logp("{exp}", "train_flow"),
    benchmark:
        bench("{exp}", "train_flow")
    wildcard_constraints:
        exp=ALL_EXPS,
    conda:
        "../envs/plugen.yaml"
    threads: THREADS
    resources:
        mem_mb=per_attempt(3000),
        runtime=per_attempt(60),
        gpu=1,
    params:
        cfg=lambda wc: config[wc.exp]["flow"],
        kinds=lambda wc: spec(wc.exp).attributes(config),
        val_split=lambda wc: spec(wc.exp).validation_split(config),
        seed=config["seed"],
        device=config["device"],
    script:
        "../scripts/train_flow.py"


rule probe:
    input:
        plugin=out("{exp}", "models", "plugin.pt"),
        latents=out("{exp}", "latents.parquet"),
        lib=code("probe"),
    output:
        metrics=out("{exp}", "metrics", "probe.parquet"),
    log:
        logp("{exp}", "probe"),
    benchmark:
        bench("{exp}", "probe")
    wildcard_constraints:
        exp=ALL_EXPS,
    conda:
        "../envs/plugen.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(5),
    params:
        device=config["device"],
    script:
        "../scripts/probe.py"


rule user_latents:
    # experiments whose latents the user brings (spec latents == "user")
    input:
        files=lambda wc: spec(wc.exp).input_files(config),
        lib=code("user_latents"),
    output:
        latents=out("{exp}", "latents.parquet"),
    log:
        logp("{exp}", "user_latents"),
    benchmark:
        bench("{exp}", "user_latents")
    wildcard_constraints:
        exp=USER_EXPS,
    conda:
        "../envs/plugen.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(4000),
        runtime=per_attempt(10),
    params:
        config=lambda wc: spec(wc.exp).latent_settings(config),
    script:
        "../scripts/user_latents.py"


rule training_table:
    # how PluGeN and each rival trained: data, settings, stopping epoch, validation loss
    input:
        histories=training_histories,
        latents=out("{exp}", "latents.parquet"),
        lib=code("training_table"),
    output:
        metrics=out("{exp}", "metrics", "training.parquet"),
    log:
        logp("{exp}", "training_table"),
    benchmark:
        bench("{exp}", "training_table")
    wildcard_constraints:
        exp=ALL_EXPS,
    conda:
        "../envs/plugen.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(1000),
        runtime=per_attempt(5),
    params:
        methods=lambda wc: training_methods(wc.exp),
        caps=lambda wc: [epoch_cap(wc.exp, m) for m in training_methods(wc.exp)],
        settings=lambda wc: {
            m: method_settings(wc.exp, m) for m in training_methods(wc.exp)
        },
        posterior=lambda wc: config[wc.exp]["flow"]["posterior"],
    script:
        "../scripts/training_table.py"
