"""Point-cloud set metrics (MMD, COV, 1-NNA under CD, and EMD on a subset) of every method's
generated clouds against the first ``n_reference`` test clouds, beside three yardsticks: other
real test clouds (the ideal), their autoencoder reconstructions (the backbone's ceiling) and a
Gaussian fitted to the training latents, decoded (the unconditional floor)."""

from pathlib import Path

from plugen import io
from plugen.backbones.pointnet import PointNetAE, decode_latents, encode_clouds
from plugen.evaluate.pointcloud import cloud_metrics_table, gaussian_latents
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, device = setup_job(sm)
m = sm.params.metrics
df, _ = io.read_table(sm.input.table, io.DATASET)
test = df[df["split"] == "test"]
real = io.read_clouds(test["cloud_path"], Path(sm.input.table).parent)
n_ref = min(m["n_reference"], len(real))
if n_ref < m["n_reference"]:
    log.warning("only %d test clouds: the reference set is smaller than n_reference", n_ref)
reference, others = real[:n_ref], real[n_ref : 2 * n_ref]
ae = PointNetAE.load(sm.input.model, device)
latents, z = io.read_table(sm.input.latents, io.LATENTS)
sets = {}
if len(others):
    sets["real test clouds"] = others
    sets["autoencoder reconstructions"] = decode_latents(ae, encode_clouds(ae, others))
n = len(reference)
train_z = z[(latents["split"] == "train").to_numpy()]
sets["gaussian on latents"] = decode_latents(ae, gaussian_latents(train_z, n, sm.params.seed))
for method, path in zip(sm.params.methods, sm.input.generated):
    samples, _ = io.read_table(path, io.SAMPLES)
    sets[method] = io.read_clouds(samples["cloud_path"], Path(path).parent)
table = cloud_metrics_table(sets, reference, m["emd_clouds"], sm.params.seed)
io.write_table(sm.output.metrics, table, io.METRICS)
log.info("cloud metrics against %d test clouds:\n%s", n, table.to_string())
