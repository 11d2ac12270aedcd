# shapenet_pc: the user's ShapeNet point clouds (shapenet_pc.data.path, read, never downloaded)
# as the data set of the point-cloud rules in shapes3d.smk (autoencoder, latents, judge, cloud
# metrics). The spec: plugen/experiments/shapenet_pc/.
SN = "shapenet_pc"


rule shapenet_pc_dataset:
    input:
        data=spec(SN).input_files(config),
        lib=code("shapenet_pc_dataset"),
    output:
        table=out(SN, "data", "dataset.parquet"),
        clouds=directory(out(SN, "data", "clouds")),
    log:
        logp(SN, "dataset"),
    benchmark:
        bench(SN, "dataset")
    conda:
        "../envs/plugen.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(2000 + 4 * cloud_mb(SN)),
        runtime=per_attempt(30),
    params:
        data=config[SN]["data"],
        seed=config["seed"],
    script:
        "../scripts/shapenet_pc_dataset.py"
