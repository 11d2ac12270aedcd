"""The paper's CelebA VAE experiments: manipulation (Table 2, PluGeN vs MSP and cFlow) and
independent conditional generation (Table 3, PluGeN vs cFlow, Δ-GAN and cVAE). Our ``table2``
and ``table3`` carry the paper's columns beside ours (``score_table2`` and ``table3`` of
:mod:`plugen.experiments.celeba_vae.tables`)."""

from plugen.reference.paper import TABLE2, by_column, by_method, protocol

_PER_PAIR = by_column(2, ("PluGeN", "MSP", "cFlow"), TABLE2["columns"][:-2])
_DEPTH = protocol("vae_backbone", "classifier_depth")
_TABLE2 = (
    "Table 2 (two attributes requested per image, "
    f"{protocol('vae_backbone', 'n_combinations')} combinations, judged by a ResNet-{_DEPTH}): "
    f"average accuracy {by_method(2, 'Average Acc')}"
)
_TABLE3 = (
    "Table 3 (label variables sampled independently, F1 and AUC over the attributes, "
    f"judged by a ResNet-{_DEPTH}): F1 {by_method(3, 'F1')}; AUC {by_method(3, 'AUC')}."
)

PAPER = {
    "table2": f"{_TABLE2}; average FID {by_method(2, 'Average FID')}.",
    "manipulation": f"{_TABLE2}; per pair, PluGeN/MSP/cFlow: {_PER_PAIR}.",
    "fid": f"Table 2: average FID of the manipulated images {by_method(2, 'Average FID')} "
    "(Inception features). Table 3 reports no FID.",
    "table3": _TABLE3,
    "generation": _TABLE3,
    "classifier": f"The paper's judge is a multi-label ResNet-{_DEPTH} trained on CelebA; its "
    "accuracy is not reported.",
    "vae": "Backbone reconstruction quality (not reported in the paper).",
}
NOTES = {
    "": f"CelebA images of {protocol('vae_backbone', 'image_size')} x "
    f"{protocol('vae_backbone', 'image_size')} with {protocol('vae_backbone', 'n_labels')} binary "
    "labels (cVAE and Δ-GAN use "
    f"{protocol('vae_backbone', 'baseline_image_size')} x "
    f"{protocol('vae_backbone', 'baseline_image_size')}); the VAE and the evaluation protocol "
    "follow MSP. Paper attribute names map to CelebA columns as in "
    "PAPER_ATTRIBUTES of plugen.experiments.celeba_vae.data (beard: No_Beard = 0, makeup: "
    "Heavy_Makeup, "
    "open-mouth: Mouth_Slightly_Open, golden-hair: Blond_Hair, female: Male = 0).",
    "table2": "Ours: each of the paper's 20 pairs set on celeba_vae.tasks.table2.n_per_combination "
    "random test images, whatever their labels; a success when the judge reads both requested "
    "values. Columns PluGeN, MSP, cFlow are the paper's.",
    "table3": "Ours: the mean over the modelled attributes of the generation table below; "
    "columns PluGeN, cFlow, Δ-GAN, cVAE are the paper's.",
    "classifier": "Our judge: the attribute classifier trained on the train split, scored on the "
    "test split (accuracy, F1, AUC per attribute).",
    "fid": "Features of our judge (and Inception's when celeba_vae.fid.inception_path is given) "
    "of table2's and generation's images vs the real test images.",
}
