"""Read the user's ShapeNet clouds (every split, normalised by the train split's global mean and
std as PointFlow) into the point-cloud data set: a table with labels and one cloud shard."""

from plugen import io
from plugen.experiments.shapenet_pc.data import read_dataset
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, _ = setup_job(sm)
d = sm.params.data
table, clouds, norm = read_dataset(
    d["format"], d["path"], d["categories"], d["n_points"], sm.params.seed
)
table.insert(2, "cloud_path", io.write_clouds(clouds, sm.output.clouds))
io.write_table(sm.output.table, table, io.DATASET)
log.info(
    "%d clouds (%s); normalisation %s",
    len(table),
    table["split"].value_counts().to_dict(),
    norm.to_dict(),
)
