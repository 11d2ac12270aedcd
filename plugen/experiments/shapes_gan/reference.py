"""The paper's StyleGAN rows (Table 1) beside shapes_gan's tables."""

from plugen.reference.paper import SPEED, TABLE1, by_column, by_method, protocol

_PER_VALUE = by_column(1, ("PluGeN", "StyleFlow"), TABLE1["columns"][:-2])

PAPER = {
    "flip": "Table 1 (StyleGAN on FFHQ, one of "
    f"{protocol('gan_backbone', 'n_edited_attributes')} binary attributes set per image, judged "
    f"by Microsoft Face API): average accuracy {by_method(1, 'Average Acc')}; per requested "
    f"value, PluGeN/StyleFlow: {_PER_VALUE}.",
    "flip_real": "The paper describes editing real images by inverting the GAN (gradient descent "
    "on the reconstruction error) but reports no number for it; its StyleGAN figures edit "
    "sampled images.",
    "fid": f"Table 1: average FID of edited images {by_method(1, 'Average FID')} (Inception "
    "features); ours uses the external classifier's features, so values are not comparable.",
    "timing": f"The paper: PluGeN trains {SPEED['training_speedup_vs_styleflow']} times faster "
    f"than StyleFlow and is around {SPEED['inference_speedup_vs_styleflow']} times faster in "
    "inference, on the same hardware (no absolute times given).",
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
    "counterfactuals": "FID is computed against real test images with the same judge-read "
    "binary attributes; nll_increase is the plugin's NLL, all labels unknown.",
    "counterfactual_attributes": "share of flipped counterfactuals changing each attribute",
}
