# results/summary.md: every enabled experiment's tables beside the paper's numbers;
# results/timings.md: the tables of wall-clock measurements (training time, editing latency).


rule summary:
    input:
        metrics=lambda wc: [p for s in sections() for p in summary_tables(s)],
        figures=lambda wc: [f for s in sections() for f in figure_folders(s)],
        lib=code("summary"),
    output:
        summary=report(
            "results/summary.md", category="Tables", caption="../report/summary.rst"
        ),
        timings=report(
            "results/timings.md", category="Tables", caption="../report/summary.rst"
        ),
    log:
        "logs/summary.log",
    benchmark:
        "benchmarks/runs/summary.tsv"
    conda:
        "../envs/plugen.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(1000),
        runtime=per_attempt(5),
    params:
        sections=sections(),
        timing=timing_tables(),
    script:
        "../scripts/summary.py"
