# Tables and figures for people: results/summary.md and the report's figures.


rule summary:
    input:
        metrics=expand(
            out("shapes_vae", "metrics", "{table}.parquet"),
            table=["classifier", "vae", "generation", "manipulation", "gradual", "fid"],
        ),
        samples=expand(
            out("shapes_vae", "samples", "{task}.parquet"),
            task=["generation", "manipulation", "gradual"],
        ),
        lib=lib("plots.py", "summary.py"),
    output:
        summary=report("results/summary.md", category="Tables", caption="../report/summary.rst"),
        figures=report(
            directory("results/figures"),
            patterns=["{name}.png"],
            category="Figures",
            caption="../report/figures.rst",
        ),
    log:
        "logs/summary.log",
    benchmark:
        "benchmarks/runs/summary.tsv"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../workflow/scripts/summary.py"
