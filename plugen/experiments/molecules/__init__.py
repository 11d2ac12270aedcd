"""molecules: RDKit-labelled SMILES, a CharVAE or JT-VAE backbone (``backbone.kind``),
continuous-label PluGeN (paper Figures 7-8). Its generation, scoring and lead-optimization rules
are its own (rules/molecules.smk): molecules are judged by RDKit, not by an image classifier."""

from __future__ import annotations

from pathlib import Path

from plugen.experiments.spec import Config, Experiment, register

SHIPPED_CHARVAE = Path(__file__).resolve().parent / "weights" / "charvae_moses.pt"
#: the pin of the JT-VAE's wheel (jtnnencoder: Jin et al.'s published ZINC weights)
JTVAE_WHEEL_META = Path(__file__).resolve().parents[2] / "backbones" / "jtvae" / "jtvae_wheel.json"


def shipped_sha256() -> str | None:
    """The shipped CharVAE's sha256 from ``weights/charvae_moses.json`` (None when the
    file is absent)."""
    import json

    meta = SHIPPED_CHARVAE.with_suffix(".json")
    return json.loads(meta.read_text())["sha256"] if meta.exists() else None


class Molecules(Experiment):
    def attributes(self, config: Config) -> dict[str, str]:
        from plugen.experiments.molecules.data import LABELS

        return dict(LABELS)

    def backbone_kind(self, config: Config) -> str:
        """``charvae`` or ``jtvae`` (``molecules.backbone.kind``)."""
        return config["molecules"]["backbone"].get("kind", "charvae")

    def plugin_labels(self, config: Config) -> str:
        """What PluGeN's labels are the properties of: ``decoded`` or ``data`` (null in the
        config: decoded for the CharVAE, data for the JT-VAE, whose decoding is slow)."""
        labels = config["molecules"].get("plugin_labels")
        return labels or ("data" if self.backbone_kind(config) == "jtvae" else "decoded")

    def jtvae_wheel_name(self) -> str:
        """File name of the pinned JT-VAE wheel (the DAG's fetch rule writes it)."""
        import json

        return json.loads(JTVAE_WHEEL_META.read_text())["filename"]

    def backbone_file(self, config: Config) -> str | None:
        """The CharVAE file the run loads (None when it trains its own, or for the JT-VAE,
        whose pinned wheel the DAG fetches)."""
        backbone = config["molecules"]["backbone"]
        if backbone["train"] or self.backbone_kind(config) != "charvae":
            return None
        return backbone["checkpoint"] or str(SHIPPED_CHARVAE)

    def backbone_sha256(self, config: Config) -> str | None:
        """The sha256 the loaded CharVAE must have (None: not checked)."""
        backbone = config["molecules"]["backbone"]
        if backbone["sha256"]:
            return backbone["sha256"]
        return None if backbone["checkpoint"] else shipped_sha256()

    def summary_tables(self, config: Config) -> tuple[str, ...]:
        backbone = self.backbone_kind(config)
        return ("labeling_report", backbone, "generation", "fcd", "lead_optimization", "decoding")

    def timing_tables(self, config: Config) -> tuple[str, ...]:
        return ("decoding",)

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
        return problems + self._backbone_problems(config)

    def _backbone_problems(self, config: Config) -> list[str]:
        from plugen.digest import check_sha256

        backbone = config["molecules"]["backbone"]
        if self.backbone_kind(config) == "jtvae":
            given = [k for k in ("train", "checkpoint", "sha256") if backbone[k]]
            return [
                f"molecules.backbone.{k}: applies to the CharVAE only; with backbone.kind: jtvae "
                "the published JT-VAE weights of the pinned jtnnencoder wheel are loaded "
                "(plugen/backbones/jtvae/jtvae_wheel.json)"
                for k in given
            ]

        path = self.backbone_file(config)
        if path is None:
            return []
        key = "molecules.backbone.checkpoint"
        if not Path(path).is_file():
            hint = (
                ""
                if config["molecules"]["backbone"]["checkpoint"]
                else (
                    " (the shipped backbone is missing: restore it with git, or set "
                    "molecules.backbone.train: true)"
                )
            )
            return [f"{key}: {path}: no such file{hint}"]
        expected = self.backbone_sha256(config)
        if expected:
            try:
                check_sha256(path, expected, key)
            except ValueError as exc:
                return [str(exc)]
        return []


SPEC = register(Molecules("molecules", payload="smiles", figure_dirs=("figures",)))
