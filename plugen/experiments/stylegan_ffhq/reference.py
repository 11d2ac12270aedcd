"""The paper's StyleGAN experiment (Table 1): PluGeN and StyleFlow on StyleGAN's W latents of
FFHQ, labelled by Microsoft Face API."""

from plugen.reference.paper import SPEED, TABLE1, by_column, by_method, protocol

_PER_VALUE = by_column(1, ("PluGeN", "StyleFlow"), TABLE1["columns"][:-2])
_N_EDITED = protocol("gan_backbone", "n_edited_attributes")

PAPER = {
    "flip": f"Table 1 (one of {_N_EDITED} binary attributes set per image, success judged by "
    f"Microsoft Face API): average accuracy {by_method(1, 'Average Acc')}; per requested value, "
    f"PluGeN/StyleFlow: {_PER_VALUE}.",
    "fid": f"Table 1: average FID of edited images {by_method(1, 'Average FID')}.",
    "timing": f"PluGeN trains {SPEED['training_speedup_vs_styleflow']} times faster than "
    f"StyleFlow and is around {SPEED['inference_speedup_vs_styleflow']} times faster in "
    "inference, on the same hardware (no absolute times given).",
}
NOTES = {
    "": f"StyleGAN trained on FFHQ ({protocol('gan_backbone', 'n_images')} images); PluGeN is a "
    f"NICE flow on w in R^{protocol('gan_backbone', 'latent_dim')}. "
    f"{protocol('gan_backbone', 'n_labelled_attributes')} attributes are labelled; "
    f"{protocol('gan_backbone', 'n_continuous_attributes')} of them (age, pitch, yaw) are "
    "continuous and not scored in Table 1.",
    "fid": "FID: Inception-v3 pool features of edited vs real images (plugen.evaluate.fid with "
    "a user-supplied Inception file).",
}
