"""The paper's CelebA VAE experiments: manipulation (Table 2, PluGeN vs MSP and cFlow) and
independent conditional generation (Table 3, PluGeN vs cFlow, Δ-GAN and cVAE)."""

from plugen.reference.paper import TABLE2, by_column, by_method, protocol

_PER_PAIR = by_column(2, ("PluGeN", "MSP", "cFlow"), TABLE2["columns"][:-2])
_DEPTH = protocol("celeba_vae", "classifier_depth")

PAPER = {
    "manipulation": "Table 2 (two attributes requested per image, "
    f"{protocol('celeba_vae', 'n_combinations')} combinations, judged by a ResNet-{_DEPTH}): "
    f"average accuracy {by_method(2, 'Average Acc')}; per pair, PluGeN/MSP/cFlow: {_PER_PAIR}.",
    "fid": f"Table 2: average FID of the manipulated images {by_method(2, 'Average FID')}. "
    "Table 3 reports no FID.",
    "generation": "Table 3 (label variables sampled independently, F1 and AUC over the attributes, "
    f"judged by a ResNet-{_DEPTH}): F1 {by_method(3, 'F1')}; "
    f"AUC {by_method(3, 'AUC')}.",
}
NOTES = {
    "": f"CelebA images of {protocol('celeba_vae', 'image_size')} x "
    f"{protocol('celeba_vae', 'image_size')} with {protocol('celeba_vae', 'n_labels')} binary "
    "labels (cVAE and Δ-GAN use "
    f"{protocol('celeba_vae', 'baseline_image_size')} x "
    f"{protocol('celeba_vae', 'baseline_image_size')}); the VAE and the evaluation protocol "
    "follow MSP. Paper attribute names map to CelebA columns as in "
    "plugen.data.celeba.PAPER_ATTRIBUTES.",
}
