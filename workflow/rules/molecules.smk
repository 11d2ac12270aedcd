# molecules: RDKit-labelled SMILES, a CharVAE or JT-VAE backbone (backbone.kind),
# continuous-label PluGeN (Figures 7-8).
#   molecules_fetch (MOSES csv out of the molsets wheel, unless data.csv names a user csv)
#   [jtvae: molecules_fetch_jtvae (the pinned jtnnencoder wheel)]
#   -> molecules_dataset -> [charvae: molecules_train_charvae when backbone.train, else the
#   pretrained backbone.checkpoint] -> molecules_latents -> train_flow
#   -> molecules_generate -> molecules_evaluate, molecules_fcd; molecules_lead; molecules_figures
M = "molecules"
MC = config[M]
KIND = spec(M).backbone_kind(config)
JT = KIND == "jtvae"
JTVAE_META = ROOT / "plugen" / "backbones" / "jtvae" / "jtvae_wheel.json"
# the pinned JT-VAE wheel, beside the MOSES one
JTVAE_WHEEL = out(M, "data", "wheel", spec(M).jtvae_wheel_name())
# the CharVAE the molecules rules load: a pretrained file, or the one the run trains
CHARVAE = spec(M).backbone_file(config) or out(M, "models", "charvae.pt")
# what the encoding and decoding rules load: the CharVAE file or the JT-VAE wheel
BACKBONE = JTVAE_WHEEL if JT else CHARVAE
# the JT-VAE runs on the CPU in a process pool (threads); the CharVAE batches on one device
BACKBONE_THREADS = MC["jtvae"]["processes"] if JT else 1
BACKBONE_GPU = 0 if JT else 1


rule molecules_fetch:
    input:
        meta=str(ROOT / "plugen" / "experiments" / "molecules" / "moses_wheel.json"),
    output:
        csv=out(M, "data", "moses_train.csv.gz"),
    log:
        logp(M, "fetch"),
    benchmark:
        bench(M, "fetch")
    conda:
        "../envs/plugen.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(500),
        runtime=per_attempt(15),
    params:
        wheel_dir=out(M, "data", "wheel"),
    script:
        "../scripts/molecules_fetch.py"


rule molecules_fetch_jtvae:
    input:
        meta=str(JTVAE_META),
    output:
        wheel=JTVAE_WHEEL,
    log:
        logp(M, "fetch_jtvae"),
    benchmark:
        bench(M, "fetch_jtvae")
    conda:
        "../envs/plugen.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(500),
        runtime=per_attempt(15),
    script:
        "../scripts/molecules_fetch_jtvae.py"


rule molecules_dataset:
    input:
        # the user's csv when data.csv is set, else the MOSES csv fetched from PyPI
        csv=lambda wc: MC["data"]["csv"] or out(M, "data", "moses_train.csv.gz"),
        # the JT-VAE's vocabulary: which molecules it can encode
        wheel=[JTVAE_WHEEL] if JT else [],
        lib=code("molecules_dataset"),
    output:
        table=out(M, "data", "dataset.parquet"),
        report=out(M, "metrics", "labeling_report.parquet"),
    log:
        logp(M, "dataset"),
    benchmark:
        bench(M, "dataset")
    conda:
        "../envs/plugen.yaml"
    threads: max(THREADS, BACKBONE_THREADS)
    resources:
        mem_mb=per_attempt(3000),
        runtime=per_attempt(30),
    params:
        cfg=MC["data"],
        backbone=KIND,
        seed=config["seed"],
    script:
        "../scripts/molecules_dataset.py"


rule molecules_train_charvae:
    input:
        table=rules.molecules_dataset.output.table,
        lib=code("molecules_train_charvae"),
    output:
        model=out(M, "models", "charvae.pt"),
        history=out(M, "history", "charvae.parquet"),
    log:
        logp(M, "train_charvae"),
    benchmark:
        bench(M, "train_charvae")
    conda:
        "../envs/plugen.yaml"
    threads: THREADS
    resources:
        mem_mb=per_attempt(3000),
        runtime=per_attempt(120),
        gpu=1,
    params:
        cfg=MC["charvae"],
        seed=config["seed"],
        device=config["device"],
    script:
        "../scripts/molecules_train_charvae.py"


rule molecules_latents:
    input:
        table=rules.molecules_dataset.output.table,
        backbone=BACKBONE,
        lib=code("molecules_latents"),
    output:
        latents=out(M, "latents.parquet"),
        metrics=out(M, "metrics", f"{KIND}.parquet"),
    log:
        logp(M, "latents"),
    benchmark:
        bench(M, "latents")
    conda:
        "../envs/plugen.yaml"
    threads: max(THREADS, BACKBONE_THREADS)
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(15),
        gpu=BACKBONE_GPU,
    params:
        kind=KIND,
        backbone=(
            "JT-VAE, published ZINC weights"
            if JT
            else "trained in the run" if MC["backbone"]["train"] else "pretrained"
        ),
        n_eval=MC["jtvae" if JT else "charvae"]["n_eval"],
        labels=spec(M).plugin_labels(config),
        seed=config["seed"],
        device=config["device"],
    script:
        "../scripts/molecules_latents.py"


rule molecules_generate:
    input:
        plugin=out(M, "models", "plugin.pt"),
        backbone=BACKBONE,
        lib=code("molecules_generate"),
    output:
        table=out(M, "samples", "generation.parquet"),
        # decoding speed (results/timings.md)
        timing=out(M, "metrics", "decoding.parquet"),
    log:
        logp(M, "generate"),
    benchmark:
        bench(M, "generate")
    conda:
        "../envs/plugen.yaml"
    threads: BACKBONE_THREADS
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(15),
        gpu=BACKBONE_GPU,
    params:
        kind=KIND,
        cfg=MC["generation"],
        seed=config["seed"],
        device=config["device"],
    script:
        "../scripts/molecules_generate.py"


rule molecules_evaluate:
    input:
        samples=rules.molecules_generate.output.table,
        table=rules.molecules_dataset.output.table,
        lib=code("molecules_evaluate"),
    output:
        scores=out(M, "scores", "generation.parquet"),
        metrics=out(M, "metrics", "generation.parquet"),
    log:
        logp(M, "evaluate"),
    benchmark:
        bench(M, "evaluate")
    conda:
        "../envs/plugen.yaml"
    threads: THREADS
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(15),
    script:
        "../scripts/molecules_evaluate.py"


rule molecules_fcd:
    input:
        samples=rules.molecules_generate.output.table,
        table=rules.molecules_dataset.output.table,
        lib=code("molecules_fcd"),
    output:
        metrics=out(M, "metrics", "fcd.parquet"),
    log:
        logp(M, "fcd"),
    benchmark:
        bench(M, "fcd")
    conda:
        "../envs/plugen.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(3000),
        runtime=per_attempt(20),
    params:
        cfg=MC["fcd"],
        seed=config["seed"],
    script:
        "../scripts/molecules_fcd.py"


rule molecules_lead:
    input:
        plugin=out(M, "models", "plugin.pt"),
        backbone=BACKBONE,
        table=rules.molecules_dataset.output.table,
        lib=code("molecules_lead"),
    output:
        samples=out(M, "samples", "lead_optimization.parquet"),
        metrics=out(M, "metrics", "lead_optimization.parquet"),
    log:
        logp(M, "lead_optimization"),
    benchmark:
        bench(M, "lead_optimization")
    conda:
        "../envs/plugen.yaml"
    threads: BACKBONE_THREADS
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(10),
        gpu=BACKBONE_GPU,
    params:
        kind=KIND,
        cfg=MC["lead_optimization"],
        seed=config["seed"],
        device=config["device"],
    script:
        "../scripts/molecules_lead.py"


rule molecules_figures:
    input:
        table=rules.molecules_dataset.output.table,
        samples=rules.molecules_generate.output.table,
        scores=rules.molecules_evaluate.output.scores,
        lead=rules.molecules_lead.output.metrics,
        lib=code("molecules_figures"),
    output:
        figures=report(
            directory(out(M, "figures")),
            patterns=["{name}.png"],
            category="Figures",
            subcategory=M,
            caption="../report/molecules_figures.rst",
        ),
    log:
        logp(M, "figures"),
    benchmark:
        bench(M, "figures")
    conda:
        "../envs/plugen.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(1500),
        runtime=per_attempt(5),
    params:
        attribute=MC["lead_optimization"]["attribute"],
    script:
        "../scripts/molecules_figures.py"
