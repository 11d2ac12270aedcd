"""The shared shapes data and the external classifier (the judge)."""

PAPER = {
    "classifier": "The paper's judge is a ResNet-56 trained on CelebA (no accuracy reported).",
}
NOTES = {
    "classifier": "Trained on a separate, fully crossed rendering; tested on the real test split.",
}
