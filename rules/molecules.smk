# molecules: RDKit-labelled SMILES, CharVAE backbone, continuous-label PluGeN (Figures 7-8).
