"""celeba_vae: the paper's Tables 2-3. CelebA from the user's folder (``celeba_vae.data.root``),
decoded once into a dataset Parquet and image shards (rules/celeba.smk); a conv VAE trained in
the DAG (or the user's TorchScript encoder and decoder, ``celeba_vae.backbone.checkpoint``);
PluGeN on the encoded latents of the CelebA columns in ``celeba_vae.data.attributes``; a judge
trained on the train split (or the user's TorchScript one, ``celeba_vae.judge.path``).

Tables: ``table2`` (the paper's 20 requested pairs on test images, accuracy per pair and the
average, beside the paper's PluGeN/MSP/cFlow), ``table3`` (mean F1 and AUC of independent
conditional generation beside the paper's rows; per attribute in ``generation``), ``fid``
(manipulated and generated images vs the real test images) and ``classifier`` (the judge's
held-out accuracy per attribute)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from plugen.experiments.spec import Config, Decoder, Experiment, Judge, register, results_path

#: Table 2's pairs read these CelebA columns (plugen.experiments.celeba_vae.data.PAPER_ATTRIBUTES).
TABLE2_COLUMNS = (
    "Male",
    "No_Beard",
    "Heavy_Makeup",
    "Smiling",
    "Mouth_Slightly_Open",
    "Bald",
    "Bangs",
    "Eyeglasses",
    "Black_Hair",
    "Blond_Hair",
)


class CelebAVAE(Experiment):
    def attributes(self, config: Config) -> dict[str, str]:
        return dict.fromkeys(config["celeba_vae"]["data"]["attributes"], "binary")

    def _checkpoint(self, config: Config) -> dict | None:
        return config["celeba_vae"]["backbone"]["checkpoint"]

    def decoder(self, config: Config) -> Decoder:
        ckpt = self._checkpoint(config)
        if ckpt:
            return Decoder("torchscript", ckpt["decoder"], None, tuple(ckpt["image_range"]))
        return Decoder("vae", results_path(self.name, "models", "vae.pt"))

    def judge(self, config: Config) -> Judge:
        j = config["celeba_vae"]["judge"]
        if j["path"]:
            outputs = tuple(j["outputs"] or config["celeba_vae"]["data"]["attributes"])
            return Judge("torchscript", j["path"], outputs, tuple(j["image_range"]))
        return Judge("classifier", results_path(self.name, "models", "classifier.pt"))

    def tasks(self, config: Config) -> tuple[str, ...]:
        return ("generation",)

    def figure_tasks(self, config: Config) -> tuple[str, ...]:
        return ("generation", "table2")

    def fid_sets(self, config: Config) -> tuple[str, ...]:
        """Table 2's manipulated images and the generated ones; the VAE's reconstructions when
        the DAG trained it. None without the judge trained here (its features are FID's)."""
        if config["celeba_vae"]["judge"]["path"]:
            return ()
        recon = () if self._checkpoint(config) else ("reconstruction",)
        return ("table2", "generation", *recon)

    def summary_tables(self, config: Config) -> tuple[str, ...]:
        judge = () if config["celeba_vae"]["judge"]["path"] else ("classifier",)
        fid = ("fid",) if self.fid_sets(config) else ()
        return (
            "vae",
            *judge,
            "table2",
            "table3",
            *self.tasks(config),
            *fid,
            *self.rival_tables(config),
            *self.inpaint_tables(config),
            *self.explain_tables(config),
        )

    def data_section(self, config: Config) -> str:
        return self.name

    def n_images(self, config: Config, splits: Sequence[str]) -> int:
        """The standard split sizes (CelebA has no pretrain split), cut to ``data.limit``."""
        from plugen.experiments.celeba_vae.data import SPLIT_SIZES, split_quota

        quota = split_quota(SPLIT_SIZES, config["celeba_vae"]["data"]["limit"])
        return sum(quota.get(s, 0) for s in splits)

    def vae_config(self, config: Config) -> Mapping[str, Any] | None:
        """``celeba_vae.backbone``, unless the user's checkpoint replaces the VAE."""
        return None if self._checkpoint(config) else config["celeba_vae"]["backbone"]

    def user_encoder(self, config: Config) -> dict[str, Any] | None:
        ckpt = self._checkpoint(config)
        return {"path": ckpt["encoder"], "image_range": ckpt["image_range"]} if ckpt else None

    def labels_per_image(self, config: Config) -> int | None:
        return config["celeba_vae"]["data"]["labels_per_image"]

    def trains_judge(self, config: Config) -> bool:
        """Unless ``celeba_vae.judge.path`` gives the user's judge."""
        return not config["celeba_vae"]["judge"]["path"]

    def rule_images(self, config: Config) -> str:
        """The data set: a hidden-rule model trains on its train and val splits."""
        return self.real_images(config)

    def decision_input(self, config: Config, n: int = 2) -> Any:
        """Images in the decoder's pixel range, or latents of the VAE trained here (None for
        the user's encoder, whose width is known only once it runs)."""
        import torch

        gen = torch.Generator().manual_seed(0)
        if self.decision_model(config)["input"] == "latent":
            if self._checkpoint(config):
                return None
            return torch.zeros(n, config["celeba_vae"]["backbone"]["latent_dim"])
        lo, hi = self.decoder(config).image_range
        size = config["celeba_vae"]["data"]["size"]
        return lo + (hi - lo) * torch.rand(n, 3, size, size, generator=gen)

    def inception_path(self, config: Config) -> str | None:
        return config["celeba_vae"]["fid"]["inception_path"]

    def input_files(self, config: Config) -> list[str]:
        """The CelebA files preprocessing reads (the partition file when present)."""
        from plugen.experiments.celeba_vae.data import (
            ATTR_FILE,
            IMAGE_DIR,
            IMAGE_ZIP,
            PARTITION_FILE,
        )

        root = config["celeba_vae"]["data"]["root"]
        images = IMAGE_DIR if os.path.isdir(os.path.join(root, IMAGE_DIR)) else IMAGE_ZIP
        files = [os.path.join(root, ATTR_FILE), os.path.join(root, images)]
        part = os.path.join(root, PARTITION_FILE)
        return files + ([part] if os.path.isfile(part) else [])

    def check(self, config: Config) -> list[str]:
        """The CelebA folder and its files (read here, so a missing file, a count that does not
        match or an unknown attribute fails before any job), the attributes Table 2 needs, the
        VAE's and judge's conv stacks against data.size, and the user's files."""
        c = config["celeba_vae"]
        d = c["data"]
        if not d["root"]:
            return ["celeba_vae.data.root: required when 'celeba_vae' is in experiments"]
        problems = []
        missing = [a for a in TABLE2_COLUMNS if a not in d["attributes"]]
        if missing:
            problems.append(
                f"celeba_vae.data.attributes: Table 2 needs {missing} (the columns of its pairs)"
            )
        for key, widths in (("backbone", c["backbone"]["widths"]), ("judge", c["judge"]["widths"])):
            if d["size"] % 2 ** len(widths):
                problems.append(
                    f"celeba_vae.{key}.widths: {len(widths)} stride-2 layers need an image size "
                    f"divisible by {2 ** len(widths)}, and celeba_vae.data.size is {d['size']}"
                )
        if c["backbone"]["latent_dim"] <= len(d["attributes"]) and not self._checkpoint(config):
            problems.append(
                f"celeba_vae.backbone.latent_dim: {c['backbone']['latent_dim']} must exceed the "
                f"{len(d['attributes'])} attributes PluGeN models"
            )
        if c["judge"]["path"]:
            unknown = [a for a in c["judge"]["outputs"] if a not in d["attributes"]]
            if unknown:
                problems.append(
                    f"celeba_vae.judge.outputs: {unknown} are not in celeba_vae.data.attributes"
                )
        ckpt = self._checkpoint(config)
        user = [c["judge"]["path"], *((ckpt["encoder"], ckpt["decoder"]) if ckpt else ())]
        problems += [
            f"{p}: file not found (celeba_vae)" for p in user if p and not os.path.isfile(p)
        ]
        from plugen.experiments.celeba_vae.data import check_root

        try:
            check_root(d["root"], d["attributes"], d["limit"])
        except (FileNotFoundError, ValueError) as exc:
            problems.append(str(exc))
        return problems


SPEC = register(
    CelebAVAE(
        "celeba_vae",
        paper_rivals={"generation": (3, ())},
        rival_note="cFlow and CNF edit conditioned on the source's labels: CelebA's labels of "
        "the test images.",
    )
)
