"""Render the shapes3d point clouds: the data set (train/val correlated without the held-out
combinations, test fully crossed) and the judge's own crossed set, each cloud a row of a shard."""

from plugen import io
from plugen.experiments.shapes3d.data import Shapes3DConfig, make_classifier_set, make_dataset
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, _ = setup_job(sm)
d = sm.params.data
cfg = Shapes3DConfig(d["n_points"], d["correlation"], list(d["heldout"]), sm.params.seed)
for (table, clouds), out, folder in (
    (make_dataset(d["n_train"], d["n_val"], d["n_test"], cfg), sm.output.table, sm.output.clouds),
    (make_classifier_set(d["n_classifier"], cfg), sm.output.clf_table, sm.output.clf_clouds),
):
    table.insert(2, "cloud_path", io.write_clouds(clouds, folder))
    io.write_table(out, table, io.DATASET)
    log.info("%s: %d clouds of %d points", out, len(table), clouds.shape[1])
