# The PluGeN flow, the same rule for every experiment: latents + labels in, plugin out.
# Each experiment registers its labels as the library object naming them, e.g.
# FLOW_LABELS[exp] = "plugen.data.shapes:ATTRIBUTES" ({attribute: "binary" | "continuous"})
# and writes results/<exp>/latents.parquet (train/val rows are trained on, others never).
FLOW_LABELS = {}


rule train_flow:
    input:
        latents=out("{exp}", "latents.parquet"),
        lib=lib("model.py", "flows.py", "priors.py", "train.py"),
    output:
        model=out("{exp}", "models", "plugin.pt"),
        history=out("{exp}", "history", "plugin.parquet"),
    params:
        cfg=lambda wc: config[wc.exp]["flow"],
        labels=lambda wc: FLOW_LABELS[wc.exp],
        seed=config["seed"],
        device=config["device"],
    wildcard_constraints:
        exp="shapes_vae|shapes_gan|molecules",
    log:
        logp("{exp}", "train_flow"),
    benchmark:
        bench("{exp}", "train_flow")
    threads: 2
    resources:
        mem_mb=per_attempt(3000),
        runtime=per_attempt(60),
        gpu=1,
    script:
        "../workflow/scripts/train_flow.py"
