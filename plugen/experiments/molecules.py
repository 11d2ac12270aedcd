"""molecules: RDKit-labelled SMILES, a CharVAE backbone, continuous-label PluGeN (paper
Figures 7-8). Its generation, scoring and lead-optimization rules are its own
(rules/molecules.smk): molecules are judged by RDKit, not by an image classifier."""

from __future__ import annotations

from plugen.experiments import Config, Experiment, register


class Molecules(Experiment):
    def attributes(self, config: Config) -> dict[str, str]:
        from plugen.data.molecules import LABELS

        return dict(LABELS)

    def summary_tables(self, config: Config) -> tuple[str, ...]:
        return ("labeling_report", "charvae", "generation", "fcd", "lead_optimization")

    def check(self, config: Config) -> list[str]:
        import os

        data = config["molecules"]["data"]
        val, test = data["val_fraction"], data["test_fraction"]
        problems = []
        if val + test >= 1:
            problems.append(
                f"molecules.data: val_fraction {val} + test_fraction {test} must be below 1 "
                "(nothing left to train on)"
            )
        if data["csv"] and not os.path.isfile(data["csv"]):
            problems.append(f"molecules.data.csv: {data['csv']}: no such file")
        return problems


SPEC = register(
    Molecules("molecules", payload="smiles", figure_dirs=("figures",), reference="molecules")
)
