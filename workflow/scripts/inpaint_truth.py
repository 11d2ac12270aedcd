"""The images the inpaint task masks for an experiment without an image data set: its first
test latents decoded (a dataset table with their labels)."""

from plugen import io
from plugen.backbones import image_decoder
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, device = setup_job(sm)
df, z = io.read_table(sm.input.latents, io.LATENTS)
test = (df["split"] == "test").to_numpy()
rows = df[test].head(sm.params.n_images).reset_index(drop=True)
images = image_decoder(sm.params.decoder, device)(z[test][: len(rows)])
table = rows.drop(columns=[c for c in ("z_std",) if c in rows])
table.insert(2, "image_path", io.write_images(images, sm.output.images, rows["id"].tolist()))
io.write_table(sm.output.table, table, io.DATASET)
log.info("decoded %d test latents as the images to mask", len(table))
