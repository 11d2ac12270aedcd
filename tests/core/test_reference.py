"""The paper's numbers: paper.py matches the verbatim tables cell by cell, the experiment
modules print paper.py's numbers and no others, and reference_table renders a table."""

import importlib
import re
from pathlib import Path

import pytest

from plugen.experiments.molecules import reference as molecules_reference
from plugen.reference import paper
from plugen.summary import render_summary

TEXT = (Path(paper.__file__).parent / "paper_tables.txt").read_text(encoding="utf-8")
EXPERIMENTS = ["shapes_vae", "shapes_gan", "molecules", "shapes", "celeba_vae", "stylegan_ffhq"]
# the paper's protocol facts: the image sections in paper.py, chemistry with its experiment
ALL_PROTOCOL = {**paper.PROTOCOL, **molecules_reference.PROTOCOL}


def _parse_tables(text: str) -> dict[int, dict]:
    """Tables of paper_tables.txt: blocks of tab-separated lines, each followed by its caption."""
    blocks = [b.strip("\n").splitlines() for b in text.split("\n\n")]
    tables, pending = {}, None
    for lines in blocks:
        if "\t" in lines[0]:
            header = lines[0].split("\t")
            rows = {}
            for line in lines[1:]:
                label, *cells = line.split("\t")
                assert len(cells) == len(header) - 1, line
                rows[label] = cells
            # the text renders "Δ-GAN" with a stray space
            pending = {"methods": [h.replace("Δ -GAN", "Δ-GAN") for h in header[1:]], "rows": rows}
        elif (m := re.match(r"Table (\d): (.*)", lines[0])) and pending is not None:
            tables[int(m.group(1))] = {**pending, "caption": m.group(2)}
            pending = None
    return tables


def _statements(text: str) -> list[str]:
    return text.split("Statements in the text:\n", 1)[1].strip("\n").splitlines()


PRINTED = _parse_tables(TEXT)


def test_the_text_has_three_tables_with_the_known_averages():
    assert sorted(PRINTED) == [1, 2, 3]
    assert PRINTED[2]["rows"]["Average Acc"] == ["0.69", "0.70", "0.67"]
    assert PRINTED[3]["rows"]["F1"][0] == "0.44" and PRINTED[3]["rows"]["AUC"][0] == "0.76"


@pytest.mark.parametrize("number", [1, 2, 3])
def test_every_number_of_paper_py_is_the_printed_one_and_none_is_missing(number):
    table, printed = paper.get_table(number), PRINTED[number]
    assert table["caption"] == printed["caption"]
    assert list(table["rows"]) == printed["methods"]
    assert table["columns"] == list(printed["rows"])  # same rows, same order, none extra
    for label, cells in printed["rows"].items():
        for method, cell in zip(printed["methods"], cells):
            assert paper.fmt(table, method, label) == cell, (number, method, label)
            assert paper.value(table, method, label) == pytest.approx(float(cell))
    for method, row in table["rows"].items():  # and nothing in paper.py beyond the text
        assert set(row) == set(printed["rows"]), method


def test_speed_claim_and_protocol_facts_are_stated_in_the_text():
    statements = _statements(TEXT)
    assert paper.SPEED["quote"] in statements
    quote, speed = paper.SPEED["quote"], paper.SPEED
    assert f"trained {speed['training_speedup_vs_styleflow']} times faster" in quote
    assert f"around {speed['inference_speedup_vs_styleflow']} times faster in inference" in quote
    for experiment, facts in ALL_PROTOCOL.items():
        for name, (val, quote) in facts.items():
            assert quote in statements, (experiment, name)
            values = val if isinstance(val, tuple) else (val,)
            for v in values:
                forms = {str(v), f"{v:,}".replace(",", " ")}
                if isinstance(v, int) and v >= 1000 and v % 1000 == 0:
                    forms.add(f"{v // 1000}k")
                found = [
                    f for f in forms if re.search(rf"(?<![\d.]){re.escape(f)}(?![\d.])", quote)
                ]
                assert found, (experiment, name, v)


def _allowed_numbers() -> set[str]:
    """Every number paper.py holds, in the forms the modules print."""
    out = set()
    for table in paper.TABLES.values():
        for row in table["rows"].values():
            out |= {f"{v:.2f}" for v in row.values()}
    out |= {str(paper.SPEED["training_speedup_vs_styleflow"])}
    out |= {str(paper.SPEED["inference_speedup_vs_styleflow"])}
    for facts in ALL_PROTOCOL.values():
        for val, _ in facts.values():
            for v in val if isinstance(val, tuple) else (val,):
                out |= {str(v), f"{v // 1000}k" if isinstance(v, int) and v >= 1000 else str(v)}
    return out


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_module_strings_hold_only_numbers_from_paper_py(experiment):
    mod = importlib.import_module(f"plugen.experiments.{experiment}.reference")
    allowed = _allowed_numbers()
    for key, text in mod.PAPER.items():
        # figure and table references are names, not results
        text = re.sub(r"(Table|Tables|Figure|Figures) \d", "", text)
        for num in re.findall(r"(?<![\w.])\d+(?:\.\d+)?k?", text):
            assert num in allowed, f"{experiment}.PAPER[{key!r}]: '{num}' is not in paper.py"


def test_modules_print_the_corrected_numbers():
    shapes_vae = importlib.import_module("plugen.experiments.shapes_vae.reference").PAPER
    assert "PluGeN 0.69" in shapes_vae["manipulation"] and "0.81" not in shapes_vae["manipulation"]
    assert "F1 PluGeN 0.44" in shapes_vae["generation"]
    assert "AUC PluGeN 0.76" in shapes_vae["generation"]
    assert "Table 3 reports no FID" in shapes_vae["fid"] and "28.07" in shapes_vae["fid"]
    gan = importlib.import_module("plugen.experiments.shapes_gan.reference").PAPER
    assert "PluGeN 46.51, StyleFlow 32.59" in gan["fid"]
    assert "3 times faster" in gan["timing"] and "100 times faster" in gan["timing"]


@pytest.mark.parametrize(
    ("experiment", "numbers"), [("celeba_vae", (2, 3)), ("stylegan_ffhq", (1,))]
)
def test_new_modules_carry_every_number_of_their_tables(experiment, numbers):
    text = " ".join(
        importlib.import_module(f"plugen.experiments.{experiment}.reference").PAPER.values()
    )
    for number in numbers:
        table = paper.get_table(number)
        for method, row in table["rows"].items():
            for column in row:
                assert paper.fmt(table, method, column) in text, (method, column)


def test_reference_table_renders_the_printed_layout():
    frame = paper.reference_table(2, methods=["PluGeN", "cFlow"])
    assert list(frame.columns) == ["Requested value", "PluGeN", "cFlow"]
    assert frame.shape == (22, 3)
    assert frame.iloc[1].tolist() == ["female x beard", 0.59, 0.31]
    assert paper.reference_table("table3").set_index("Metric").loc["AUC", "cVAE"] == 0.73
    with pytest.raises(KeyError, match=r"no method\(s\) \['StyleFlow'\]"):
        paper.reference_table(2, methods=["StyleFlow"])
    with pytest.raises(KeyError, match="no table 4"):
        paper.reference_table(4)
    md = render_summary("celeba_vae", {"manipulation": paper.reference_table(2)})
    assert "| male x beard | 0.800 | 0.790 | 0.850 |" in md and "*Paper:* Table 2" in md


def test_protocol_lookup_names_what_is_known():
    assert paper.protocol("vae_backbone", "n_combinations") == 20
    with pytest.raises(KeyError, match="expected one of"):
        paper.protocol("vae_backbone", "n_pairs")
