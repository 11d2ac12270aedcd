"""What the paper (Wolczyk et al., AAAI 2022, section 'Chemical molecules') reports beside
the molecules experiment's tables, and how our protocol differs."""

from plugen.reference.paper import protocol as _protocol

#: The facts the paper's section 'Chemical molecules modeling' states (as ``paper.PROTOCOL``).
PROTOCOL: dict[str, dict[str, tuple]] = {
    "chemistry": {
        "dataset_size": (250000, "It was trained on ZINC 250k database"),
        "n_per_target": (
            25000,
            "For every attribute, we generate 25k molecules with 3 different values: for logP we "
            "set the label of generated molecules to: 1.5, 3.0, 4.5; for TPSA we set generated "
            "labels to: 40, 60, 80; for SAS we set them to: 2.0, 3.0, 4.0, which gives 9 "
            "scenarios in total.",
        ),
        "targets_logP": (
            (1.5, 3.0, 4.5),
            "For every attribute, we generate 25k molecules with 3 different values: for logP we "
            "set the label of generated molecules to: 1.5, 3.0, 4.5; for TPSA we set generated "
            "labels to: 40, 60, 80; for SAS we set them to: 2.0, 3.0, 4.0, which gives 9 "
            "scenarios in total.",
        ),
        "targets_TPSA": (
            (40, 60, 80),
            "For every attribute, we generate 25k molecules with 3 different values: for logP we "
            "set the label of generated molecules to: 1.5, 3.0, 4.5; for TPSA we set generated "
            "labels to: 40, 60, 80; for SAS we set them to: 2.0, 3.0, 4.0, which gives 9 "
            "scenarios in total.",
        ),
        "targets_SAS": (
            (2.0, 3.0, 4.0),
            "For every attribute, we generate 25k molecules with 3 different values: for logP we "
            "set the label of generated molecules to: 1.5, 3.0, 4.5; for TPSA we set generated "
            "labels to: 40, 60, 80; for SAS we set them to: 2.0, 3.0, 4.0, which gives 9 "
            "scenarios in total.",
        ),
        "n_scenarios": (
            9,
            "For every attribute, we generate 25k molecules with 3 different values: for logP we "
            "set the label of generated molecules to: 1.5, 3.0, 4.5; for TPSA we set generated "
            "labels to: 40, 60, 80; for SAS we set them to: 2.0, 3.0, 4.0, which gives 9 "
            "scenarios in total.",
        ),
        "lead_logP_increase": (
            3,
            "force PluGeN to gradually increase the value of logP by 3 and decode the resulting "
            "molecules.",
        ),
    },
}


def protocol(section: str, name: str):
    """A fact of this section (:func:`plugen.reference.paper.protocol` on :data:`PROTOCOL`)."""
    return _protocol(section, name, PROTOCOL)


def _targets(prop: str) -> str:
    return ", ".join(str(v) for v in protocol("chemistry", f"targets_{prop}"))


_ZINC = f"ZINC {protocol('chemistry', 'dataset_size') // 1000}k"

PAPER = {
    "generation": f"Figure 7 ({_ZINC}, CharVAE backbone, "
    f"{protocol('chemistry', 'n_per_target') // 1000}k molecules per requested value; logP "
    f"{_targets('logP')}; TPSA {_targets('TPSA')}; SAS {_targets('SAS')}: "
    f"{protocol('chemistry', 'n_scenarios')} scenarios): the densities of the generated "
    "molecules' properties move towards the requested value (plots, no table).",
    "lead_optimization": "Figure 8: a lead molecule's logP raised gradually by "
    f"{protocol('chemistry', 'lead_logP_increase')}; the molecules stay structurally similar to "
    "the seed while logP grows (pictures, no table).",
    "fcd": "Not reported in the paper.",
    "charvae": "Backbone quality (not reported in the paper).",
    "jtvae": "Backbone quality (not reported in the PluGeN paper; the JT-VAE's own paper, Jin "
    "et al., reports its reconstruction on the ZINC test set with sampled encodings and "
    "decodings, ours is greedy on the mean).",
    "decoding": "Not reported in the paper.",
    "labeling_report": f"{_ZINC}, labels from RDKit (logP, TPSA, SAS).",
}
NOTES = {
    "": "Default: a seeded subset of the MOSES training set (from the molsets wheel), the backbone "
    "of molecules.backbone.kind (charvae: the charvae table's backbone column says the shipped "
    "pretrained file, a user's, or one trained in the run; jtvae: the JT-VAE of Jin et al. 2018 "
    "with its published ZINC weights), and far fewer molecules per target than the paper. "
    "target_shift = (mean of generated - data set mean) / (target - data set mean): 1 means the "
    "mean reached the target; shift_vs_unconditional uses the unconditional samples' mean as "
    "the start instead. Properties are measured by RDKit on the decoded molecules (invalid ones "
    "ignored).",
    "generation": "One property requested at a time, the others and the style sampled "
    "(temperature from molecules.generation.temperature); validity counts empty strings "
    "as invalid, novelty is against the training split.",
    "fcd": "Each group's valid molecules vs held-out test molecules (fcd-torch ChemNet); "
    "'held-out' is validation molecules of the same count: the floor for this sample size.",
    "jtvae": "Greedy decoding. reconstruction_accuracy: n_eval held-out molecules decoded from "
    "their posterior mean back to the same canonical SMILES; reconstruction_validity and "
    "reconstruction_corr_<p>: those decodings' RDKit properties against the originals' "
    "(Pearson); prior: n_eval decodings of z ~ N(0, I). The molecules it cannot encode (clusters "
    "outside its 780-word vocabulary) are the labeling report's n_not_encodable.",
    "decoding": "Wall-clock decoding speed of the generation job (greedy; the JT-VAE in "
    "`processes` forked workers, the CharVAE batched on its device).",
    "lead_optimization": "Step k adds k * max_delta / (n_steps - 1) standardized units to the "
    "seed's label coordinate (flow inverse, edit, flow forward, greedy decoding); step 0 is the "
    "backbone's reconstruction; tanimoto: Morgan radius-2 fingerprints vs the seed.",
}
