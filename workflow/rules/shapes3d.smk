# Point clouds: shapes3d's procedural data set (shapes3d_dataset) and, for every point-cloud
# experiment (CLOUD_EXPS: shapes3d, shapenet_pc), the PointNet autoencoder trained in the DAG, its
# latents, the PointNet judge and the point-cloud set metrics. The tasks (sample, score,
# evaluate_task, task_figures) and the rivals are the shared image-task rules; the specs are in
# plugen/experiments/shapes3d/ (the family) and plugen/experiments/shapenet_pc/.
#   <exp>_dataset -> cloud_autoencoder -> cloud_latents -> train_flow -> tasks
#   <exp>_dataset -> cloud_judge (scores the tasks)
#   generation samples of every method -> cloud_metrics
S3 = "shapes3d"


rule shapes3d_dataset:
    input:
        lib=code("shapes3d_dataset"),
    output:
        table=out(S3, "data", "dataset.parquet"),
        clouds=directory(out(S3, "data", "clouds")),
        clf_table=out(S3, "data", "classifier_set.parquet"),
        clf_clouds=directory(out(S3, "data", "clf_clouds")),
    log:
        logp(S3, "dataset"),
    benchmark:
        bench(S3, "dataset")
    conda:
        "../envs/plugen.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(1000 + 20 * cloud_mb(S3)),  # clouds, 8x oversampled candidates
        runtime=per_attempt(10),
    params:
        data=config[S3]["data"],
        seed=config["seed"],
    script:
        "../scripts/shapes3d_dataset.py"


rule cloud_autoencoder:
    input:
        unpack(cloud_data),
        lib=code("cloud_autoencoder"),
    output:
        model=out("{exp}", "models", "autoencoder.pt"),
        history=out("{exp}", "history", "autoencoder.parquet"),
    log:
        logp("{exp}", "autoencoder"),
    benchmark:
        bench("{exp}", "autoencoder")
    wildcard_constraints:
        exp=CLOUD_EXPS,
    conda:
        "../envs/plugen.yaml"
    threads: THREADS
    resources:
        mem_mb=lambda wc, attempt: attempt * (2000 + 10 * cloud_mb(wc.exp)),
        runtime=per_attempt(30),
        gpu=1,
    params:
        cfg=lambda wc: config[wc.exp]["autoencoder"],
        seed=config["seed"],
        device=config["device"],
    script:
        "../scripts/cloud_autoencoder.py"


rule cloud_latents:
    input:
        unpack(cloud_data),
        model=out("{exp}", "models", "autoencoder.pt"),
        lib=code("cloud_latents"),
    output:
        latents=out("{exp}", "latents.parquet"),
        metrics=out("{exp}", "metrics", "autoencoder.parquet"),
    log:
        logp("{exp}", "latents"),
    benchmark:
        bench("{exp}", "latents")
    wildcard_constraints:
        exp=CLOUD_EXPS,
    conda:
        "../envs/plugen.yaml"
    threads: THREADS
    resources:
        mem_mb=lambda wc, attempt: attempt * (2000 + 10 * cloud_mb(wc.exp)),
        runtime=per_attempt(10),
        gpu=1,
    params:
        kinds=lambda wc: spec(wc.exp).attributes(config),
        device=config["device"],
    script:
        "../scripts/cloud_latents.py"


rule cloud_judge:
    input:
        unpack(cloud_data),
        clf_table=lambda wc: spec(wc.exp).judge_set(config),
        lib=lambda wc: code(
            "cloud_judge", *filter(None, [spec(wc.exp).analytic_reading(config)])
        ),
    output:
        model=out("{exp}", "models", "judge.pt"),
        history=out("{exp}", "history", "judge.parquet"),
        metrics=out("{exp}", "metrics", "judge.parquet"),
    log:
        logp("{exp}", "judge"),
    benchmark:
        bench("{exp}", "judge")
    wildcard_constraints:
        exp=CLOUD_EXPS,
    conda:
        "../envs/plugen.yaml"
    threads: THREADS
    resources:
        mem_mb=lambda wc, attempt: attempt * (2000 + 10 * cloud_mb(wc.exp)),
        runtime=per_attempt(30),
        gpu=1,
    params:
        cfg=lambda wc: config[wc.exp]["judge"],
        kinds=lambda wc: spec(wc.exp).attributes(config),
        analytic=lambda wc: spec(wc.exp).analytic_reading(config),
        seed=config["seed"],
        device=config["device"],
    script:
        "../scripts/cloud_judge.py"


rule cloud_metrics:
    input:
        unpack(cloud_data),
        model=out("{exp}", "models", "autoencoder.pt"),
        latents=out("{exp}", "latents.parquet"),
        generated=lambda wc: [
            run_path(wc.exp, m, "samples", "generation.parquet")
            for m in cloud_generators(wc.exp)
        ],
        lib=code("cloud_metrics"),
    output:
        metrics=out("{exp}", "metrics", "cloud_metrics.parquet"),
    log:
        logp("{exp}", "cloud_metrics"),
    benchmark:
        bench("{exp}", "cloud_metrics")
    wildcard_constraints:
        exp=CLOUD_EXPS,
    conda:
        "../envs/plugen.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: attempt * (2000 + 10 * cloud_mb(wc.exp)),
        runtime=per_attempt(20),
    params:
        methods=lambda wc: cloud_generators(wc.exp),
        metrics=lambda wc: config[wc.exp]["metrics"],
        seed=config["seed"],
    script:
        "../scripts/cloud_metrics.py"
