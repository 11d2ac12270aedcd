"""What the paper (Wolczyk et al., AAAI 2022, section 'Chemical molecules') reports beside
the molecules experiment's tables, and how our protocol differs."""

PAPER = {
    "generation": "Figure 7 (ZINC250k, CharVAE backbone, 25,000 molecules per target): densities "
    "of logP, TPSA and SAS of molecules generated for each target move to the requested value "
    "(shown as plots, no table). The authors' code reaches a target shift of 0.93 for logP 4.5 "
    "and 0.51 for logP 1.5 (our reading of their released results).",
    "lead_optimization": "Figure 8: a lead molecule's logP raised gradually; the molecules "
    "stay similar to the seed while logP grows (shown as pictures, no table).",
    "fcd": "Not reported in the paper.",
    "charvae": "Backbone quality (not reported in the paper).",
    "labeling_report": "ZINC250k, labels from RDKit (logP, TPSA, SAS).",
}
NOTES = {
    "": "Default: a seeded subset of the MOSES training set (from the molsets wheel), a CharVAE "
    "trained for a few CPU minutes, and far fewer molecules per target than the paper. "
    "target_shift = (mean of generated - data set mean) / (target - data set mean): 1 means the "
    "mean reached the target; shift_vs_unconditional uses the unconditional samples' mean as "
    "the start instead. Properties are measured by RDKit on the decoded molecules (invalid ones "
    "ignored).",
    "generation": "One property requested at a time, the others and the style sampled "
    "(style temperature from molecules.generation.temperature); validity counts empty strings "
    "as invalid, novelty is against the training split.",
    "fcd": "Each group's valid molecules vs held-out test molecules (fcd-torch ChemNet); "
    "'held-out' is validation molecules of the same count: the floor for this sample size.",
    "lead_optimization": "Step k adds k * max_delta / (n_steps - 1) standardized units to the "
    "seed's label coordinate (flow inverse, edit, flow forward, greedy decoding); step 0 is the "
    "backbone's reconstruction; tanimoto: Morgan radius-2 fingerprints vs the seed.",
}
