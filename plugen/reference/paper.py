"""The paper's numbers as data: Tables 1-3 and the stated protocol facts of Wolczyk et al.,
"PluGeN: Multi-Label Conditional Generation from Pre-trained Models", AAAI 2022.

``paper_tables.txt`` beside this module holds the verbatim text they are transcribed from
(``tests/core/test_reference.py`` checks every number against it). Each table is a dict::

    {"number": 1, "caption": str, "label": "Requested value",
     "columns": [printed row labels, in order],
     "rows": {method: {column: value}}}

so a *row* here is a method (the paper prints methods as columns) and a *column* is a requested
value or metric (the paper's row label). Values are the printed ones (two decimals).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd


def _table(number: int, caption: str, label: str, methods: Sequence[str], lines) -> dict:
    """A table from its printed lines ``(row label, value per method...)``."""
    rows: dict[str, dict[str, float]] = {m: {} for m in methods}
    for name, *values in lines:
        if len(values) != len(methods):
            raise ValueError(f"paper.py: Table {number} row '{name}' has {len(values)} values")
        for method, v in zip(methods, values):
            rows[method][name] = v
    return {
        "number": number,
        "caption": caption,
        "label": label,
        "columns": [line[0] for line in lines],
        "rows": rows,
    }


TABLE1 = _table(
    1,
    "Accuracy and FID scores of attributes modification using StyleGAN backbone.",
    "Requested value",
    ("PluGeN", "StyleFlow"),
    [
        ("female", 0.95, 0.95),
        ("male", 0.92, 0.87),
        ("no-glasses", 1.00, 0.99),
        ("glasses", 0.90, 0.70),
        ("not-bald", 1.00, 1.00),
        ("bald", 0.53, 0.54),
        ("no-facial-hair", 1.00, 1.00),
        ("facial-hair", 0.72, 0.65),
        ("no-smile", 0.99, 0.92),
        ("smile", 0.96, 0.99),
        ("Average Acc", 0.90, 0.86),
        ("Average FID", 46.51, 32.59),
    ],
)

TABLE2 = _table(
    2,
    "Accuracy and FID scores of image manipulation performed on the VAE backbone.",
    "Requested value",
    ("PluGeN", "MSP", "cFlow"),
    [
        ("male x beard", 0.80, 0.79, 0.85),
        ("female x beard", 0.59, 0.33, 0.31),
        ("male x no-beard", 0.88, 0.92, 0.91),
        ("female x no-beard", 0.85, 0.82, 0.95),
        ("male x makeup", 0.44, 0.43, 0.29),
        ("male x no-makeup", 0.72, 0.92, 0.96),
        ("female x makeup", 0.42, 0.41, 0.58),
        ("female x no-makeup", 0.55, 0.40, 0.85),
        ("smile x open-mouth", 0.97, 0.99, 0.79),
        ("no-smile x open-mouth", 0.79, 0.82, 0.77),
        ("smile x calm-mouth", 0.84, 0.91, 0.72),
        ("no-smile x calm-mouth", 0.96, 0.97, 0.99),
        ("male x bald", 0.26, 0.41, 0.34),
        ("male x bangs", 0.58, 0.74, 0.45),
        ("female x bald", 0.19, 0.13, 0.39),
        ("female x bangs", 0.52, 0.49, 0.60),
        ("no-glasses x black-hair", 0.92, 0.93, 0.74),
        ("no-glasses x golden-hair", 0.92, 0.91, 0.81),
        ("glasses x black-hair", 0.76, 0.90, 0.58),
        ("glasses x golden-hair", 0.75, 0.85, 0.61),
        ("Average Acc", 0.69, 0.70, 0.67),
        ("Average FID", 28.07, 30.67, 39.68),
    ],
)

TABLE3 = _table(
    3,
    "Results of the independent conditional generation using VAE backbone.",
    "Metric",
    ("PluGeN", "cFlow", "Δ-GAN", "cVAE"),
    [
        ("F1", 0.44, 0.29, 0.39, 0.39),
        ("AUC", 0.76, 0.68, 0.70, 0.73),
    ],
)

TABLES = {"table1": TABLE1, "table2": TABLE2, "table3": TABLE3}

_SPEED_QUOTE = (
    "Finally, our approach is less computationally expensive as we verified that, using the same "
    "hardware, PluGeN can be trained 3 times faster than StyleFlow and is around 100 times faster "
    "in inference."
)
#: The speed claim of section "GAN backbone" (no absolute times are given).
SPEED = {
    "training_speedup_vs_styleflow": 3,
    "inference_speedup_vs_styleflow": 100,
    "quote": _SPEED_QUOTE,
}

#: Protocol facts stated in the text, per section of the paper's experiments:
#: ``section -> name -> (value, the sentence that states it)``. An experiment folder's
#: ``reference.py`` may hold the facts of its own section in the same form.
PROTOCOL: dict[str, dict[str, tuple]] = {
    "gan_backbone": {
        "n_images": (
            70000,
            "trained on Flickr-Faces-HQ (FFHQ) containing 70 000 high-quality images of "
            "resolution 1024×1024 .",
        ),
        "resolution": (
            1024,
            "trained on Flickr-Faces-HQ (FFHQ) containing 70 000 high-quality images of "
            "resolution 1024×1024 .",
        ),
        "n_labelled_attributes": (
            8,
            "The Microsoft Face API was used to label 8 attributes in each image (gender, pitch, "
            "yaw, eyeglasses, age, facial hair, expression, and baldness).",
        ),
        "latent_dim": (
            512,
            "PluGeN is instantiated using NICE flow model (Dinh, Krueger, and Bengio 2014) that "
            "operates on the latent vectors $\\mathbf{w} \\in \\mathbb{R}^{512}$ sampled from the "
            "\\mathbf{W} space of the StyleGAN.",
        ),
        "n_edited_attributes": (
            5,
            "we modify one of 5 attributes² and verify the success of this operation using the "
            "prediction accuracy returned by Microsoft Face API.",
        ),
        "n_continuous_attributes": (
            3,
            "²The remaining 3 attributes (age, pitch, yaw) are continuous and it is more "
            "difficult to assess their modifications.",
        ),
    },
    "vae_backbone": {
        "image_size": (
            256,
            "We use CelebA database, where every image of the size 256×256 is annotated with "
            "40 binary labels.",
        ),
        "n_labels": (
            40,
            "We use CelebA database, where every image of the size 256×256 is annotated with "
            "40 binary labels.",
        ),
        "n_combinations": (
            20,
            "More precisely, for every input image, we manipulate the values of two attributes "
            "(we inspect 20 combinations in total).",
        ),
        "classifier_depth": (
            56,
            "The success of the requested manipulation is verified using a multi-label "
            "ResNet-56 classifier trained on the original CelebA dataset.",
        ),
        "baseline_image_size": (
            64,
            "³For cVAE and Δ -GAN we use images of the size 64×64 following their implementations.",
        ),
    },
}


def protocol(section: str, name: str, facts: Mapping[str, Mapping[str, tuple]] | None = None):
    """The value of a protocol fact, e.g. ``protocol("vae_backbone", "n_combinations") == 20``,
    from :data:`PROTOCOL` or from ``facts`` (the same form).

    Raises ``KeyError`` naming the known sections or facts when one is unknown.
    """
    facts = PROTOCOL if facts is None else facts
    if section not in facts:
        raise KeyError(f"paper.py: no protocol for '{section}', expected one of {list(facts)}")
    if name not in facts[section]:
        known = list(facts[section])
        raise KeyError(f"paper.py: {section} has no fact '{name}', expected one of {known}")
    return facts[section][name][0]


def get_table(table: str | int | dict) -> dict:
    """A table by name (``"table2"``), number (``2``) or as the dict itself.

    Raises ``KeyError`` naming the tables when there is no such table.
    """
    if isinstance(table, dict):
        return table
    key = f"table{table}" if isinstance(table, int) else str(table).lower()
    if key not in TABLES:
        raise KeyError(f"paper.py: no table {table!r}, expected one of {list(TABLES)} or 1-3")
    return TABLES[key]


def value(table: str | int | dict, method: str, column: str) -> float:
    """One printed number: ``value(2, "PluGeN", "Average Acc") == 0.69``.

    Raises ``KeyError`` naming the table's methods or columns when one is unknown.
    """
    t = get_table(table)
    if method not in t["rows"]:
        raise KeyError(f"Table {t['number']}: no method '{method}', expected {list(t['rows'])}")
    if column not in t["rows"][method]:
        raise KeyError(f"Table {t['number']}: no row '{column}', expected {t['columns']}")
    return t["rows"][method][column]


def fmt(table: str | int | dict, method: str, column: str) -> str:
    """A number as the paper prints it (two decimals): ``fmt(1, "PluGeN", "Average FID")``."""
    return f"{value(table, method, column):.2f}"


def by_method(table: str | int | dict, column: str, methods: Sequence[str] | None = None) -> str:
    """``"PluGeN 0.69, MSP 0.70, cFlow 0.67"``: one column across methods (all by default)."""
    t = get_table(table)
    names = list(t["rows"]) if methods is None else list(methods)
    return ", ".join(f"{m} {fmt(t, m, column)}" for m in names)


def by_column(
    table: str | int | dict, methods: Sequence[str], columns: Sequence[str] | None = None
) -> str:
    """``"female 0.95/0.95, male 0.92/0.87, ..."``: each column's values for ``methods``,
    joined by '/' (all columns by default)."""
    t = get_table(table)
    cols = t["columns"] if columns is None else list(columns)
    return ", ".join(f"{c} " + "/".join(fmt(t, m, c) for m in methods) for c in cols)


def reference_table(table: str | int | dict, methods: Sequence[str] | None = None) -> pd.DataFrame:
    """The table as the paper prints it: a first column of row labels (the table's ``label``,
    e.g. "Requested value"), then one float column per method (all methods by default, else
    those named, in that order). Shape ``(len(columns), 1 + len(methods))``.

    Raises ``KeyError`` naming the table's methods when one is unknown.
    """
    t = get_table(table)
    names = list(t["rows"]) if methods is None else list(methods)
    unknown = [m for m in names if m not in t["rows"]]
    if unknown:
        raise KeyError(f"Table {t['number']}: no method(s) {unknown}, expected {list(t['rows'])}")
    data = {t["label"]: list(t["columns"])}
    for m in names:
        data[m] = [float(t["rows"][m][c]) for c in t["columns"]]
    return pd.DataFrame(data)
