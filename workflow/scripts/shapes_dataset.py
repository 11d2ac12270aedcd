"""Render the shapes data set and the classifier's separate, fully crossed set."""

from pathlib import Path

from plugen import io
from plugen.experiments.shapes import data as shapes
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, _ = setup_job(sm, uses_torch=False)
d = sm.params.data
cfg = shapes.config_from(d, sm.params.seed)
for table_path, images_dir, (df, images) in [
    (
        sm.output.table,
        sm.output.images,
        shapes.make_dataset(d["n_train"], d["n_val"], d["n_test"], cfg, n_pretrain=d["n_pretrain"]),
    ),
    (sm.output.clf_table, sm.output.clf_images, shapes.make_classifier_set(d["n_classifier"], cfg)),
]:
    df = df.copy()
    if table_path == sm.output.clf_table:  # the judge's own data: all of it is training data
        df["split"] = "train"
    df.insert(2, "image_path", io.write_images(images, images_dir, df["id"].tolist()))
    io.write_table(table_path, df, io.DATASET)
    log.info(
        "%s: %d images %s, splits %s",
        Path(table_path).name,
        len(df),
        images.shape[1:],
        df["split"].value_counts().to_dict(),
    )
