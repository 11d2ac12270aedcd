"""The shared shapes data and the external classifier (the judge)."""

from plugen.reference.paper import protocol

PAPER = {
    "classifier": "The paper's judge is a multi-label ResNet-"
    f"{protocol('vae_backbone', 'classifier_depth')} trained on CelebA (no accuracy reported).",
}
NOTES = {
    "classifier": "Trained on a separate, fully crossed rendering; tested on the real test split.",
}
