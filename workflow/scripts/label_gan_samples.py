"""Sample GAN latents, decode them and label the images with the external classifier."""

from plugen import io
from plugen.backbones.dcgan import DCGAN, decode_latents, sample_latents
from plugen.data.shapes import ATTRIBUTES
from plugen.evaluate.classifier import AttributeClassifier
from plugen.labelling import label_balance, label_latents
from plugen.runtime import setup

sm = snakemake  # noqa: F821
log, device = setup(sm.log[0], sm.threads, sm.params.device, getattr(sm.resources, "gpu", 0))
c = sm.params.cfg
gan = DCGAN.load(sm.input.gan, device)
clf = AttributeClassifier.load(sm.input.classifier, device)
z = sample_latents(c["n_samples"], sm.params.latent_dim, sm.params.seed + 7)
table = label_latents(
    z,
    lambda zb: decode_latents(gan, zb),
    clf.predict,
    ATTRIBUTES,
    c["val_fraction"],
    c["n_test"],
    sm.params.seed,
    progress=lambda done, n: log.info("labelled %d/%d samples", done, n),
)
io.write_table(sm.output.latents, table, io.LATENTS, z)
log.info("labels of the samples:\n%s", label_balance(table, ATTRIBUTES).to_string())
