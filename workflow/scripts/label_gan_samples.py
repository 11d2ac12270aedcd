"""Sample GAN latents, decode them and label the images with the external classifier."""

from plugen import io
from plugen.backbones.dcgan import DCGAN, backbone_latents, decode_latents
from plugen.evaluate.classifier import AttributeClassifier
from plugen.experiments.shapes.data import ATTRIBUTES
from plugen.labelling import label_balance, label_latents
from plugen.runtime import setup_job

sm = snakemake  # noqa: F821
log, device = setup_job(sm)
c = sm.params.cfg
gan = DCGAN.load(sm.input.gan, device)
clf = AttributeClassifier.load(sm.input.classifier, device)
z = backbone_latents(gan, c["n_samples"], sm.params.seed + 7)
table = label_latents(
    z,
    lambda zb: decode_latents(gan, zb),
    clf.predict,
    ATTRIBUTES,
    c["val_fraction"],
    c["n_test"],
    sm.params.seed,
    min_confidence=c["min_confidence"],
    progress=lambda done, n: log.info("labelled %d/%d samples", done, n),
)
io.write_table(sm.output.latents, table, io.LATENTS, z)
log.info("labels of the samples:\n%s", label_balance(table, ATTRIBUTES).to_string())
