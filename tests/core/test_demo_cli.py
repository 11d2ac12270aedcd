"""``plugen demo`` refuses a latent width its synthetic labels cannot read."""

import pytest

from plugen.cli import main


@pytest.mark.parametrize("dim", [0, 5])
def test_demo_with_too_few_dimensions_is_one_line_and_exit_2(dim, capsys):
    assert main(["demo", "--dim", str(dim), "--n", "50", "--epochs", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.splitlines() == [
        f"plugen demo: --dim {dim} is too small; the synthetic labels read z[:, 0] to "
        "z[:, 5], so use --dim 6 or more"
    ]


def test_demo_runs_at_the_smallest_width(capsys):
    assert main(["demo", "--dim", "6", "--n", "200", "--epochs", "1", "--hidden", "8"]) == 0
    assert "manipulate a: flipped" in capsys.readouterr().out
