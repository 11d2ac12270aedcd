"""The paper's StyleGAN rows (Table 1) beside shapes_gan's tables."""

PAPER = {
    "flip": "Table 1 (StyleGAN2 on FFHQ, attributes edited one at a time, judged by a "
    "classifier): mean accuracy of the requested value PluGeN 0.90, StyleFlow 0.86.",
    "flip_real": "The paper edits real images through StyleGAN inversion qualitatively "
    "(Figure 5); no accuracy reported.",
    "fid": "Table 1 reports FID of edited vs real images per attribute (Inception features); "
    "ours uses the external classifier's features, so values are not comparable.",
    "timing": "The paper reports PluGeN trains in minutes vs StyleFlow's hours; per-image "
    "editing is a single flow pass.",
}
NOTES = {
    "": "A DCGAN trained on unlabelled shapes has no encoder: latents z ~ N(0, I) are decoded "
    "and labelled by the external classifier (labels it is unsure about count as unknown), "
    "PluGeN is trained on (z, labels), and each binary attribute is set to each value on "
    "held-out sampled images (flip) and on inverted real test images (flip_real).",
    "flip": "accuracy: the classifier reads the requested value; preserved: the other binary "
    "attributes keep the source's labels.",
    "inversion": "Gradient-descent inversion of real test images: pixel MSE/PSNR and how often "
    "the classifier reads the true label off the reconstruction.",
    "generation": "All 32 combinations of the binary attributes requested from the prior.",
}
