"""PluGeN rows of the paper (Wolczyk et al., AAAI 2022) closest to shapes_vae's tables."""

PAPER = {
    "generation": "Table 3 (CelebA, VAE backbone): PluGeN F1 0.87, AUC 0.94 (mean of 9 attrs).",
    "manipulation": "Table 2 (CelebA, VAE backbone): PluGeN mean accuracy of requested attribute "
    "pairs 0.81 on all pairs.",
    "gradual": "Paper shows gradual edits qualitatively (Figure 4); no number reported.",
    "fid": "Table 3: PluGeN FID 102 (generated) vs 78 for VAE reconstructions.",
    "vae": "Backbone reconstruction quality (not reported in the paper).",
}
NOTES = {
    "generation": "Ours: procedural shapes, 5 binary attributes, all 32 combinations requested "
    "(including held-out ones), judged by a classifier trained on separate data.",
    "manipulation": "Ours: every pair of binary attributes flipped on test images; 'held-out' "
    "rows end in a combination never seen in PluGeN's training labels.",
}
