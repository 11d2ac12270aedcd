# results/summary.md: every enabled experiment's tables beside the paper's numbers.


rule summary:
    input:
        metrics=lambda wc: [p for s in sections() for p in SUMMARY_TABLES[s]],
        figures=lambda wc: [FIGURES[s] for s in sections() if s in FIGURES],
        lib=lib("summary.py", "reference"),
    output:
        summary=report("results/summary.md", category="Tables", caption="../report/summary.rst"),
    params:
        sections=sections(),
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
