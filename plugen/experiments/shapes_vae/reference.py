"""The paper's CelebA VAE rows (Tables 2 and 3) closest to shapes_vae's tables."""

from plugen.reference.paper import by_method, protocol

_N_PAIRS = protocol("vae_backbone", "n_combinations")

PAPER = {
    "generation": "Table 3 (CelebA, VAE backbone, label variables sampled independently, "
    f"judged by a ResNet-{protocol('vae_backbone', 'classifier_depth')} attribute classifier): "
    f"F1 {by_method(3, 'F1')}; AUC {by_method(3, 'AUC')}.",
    "manipulation": "Table 2 (CelebA, VAE backbone, two attributes requested per image, "
    f"{_N_PAIRS} combinations): average accuracy {by_method(2, 'Average Acc')}.",
    "gradual": "The paper shows gradual edits qualitatively (Figure 4); no number reported.",
    "fid": f"Table 2: average FID of the manipulated images {by_method(2, 'Average FID')} "
    "(Inception features). Table 3 reports no FID.",
    "vae": "Backbone reconstruction quality (not reported in the paper).",
}
NOTES = {
    "generation": "Ours: procedural shapes, 5 binary attributes, all 32 combinations requested "
    "(including held-out ones), judged by a classifier trained on separate data.",
    "manipulation": "Ours: every pair of binary attributes flipped on test images; 'held-out' "
    "rows end in a combination never seen in PluGeN's training labels.",
    "counterfactuals": "FID is computed against real test images with the same judge-read "
    "binary attributes; nll_increase is the plugin's NLL, all labels unknown.",
    "counterfactual_attributes": "share of flipped counterfactuals changing each attribute",
}
