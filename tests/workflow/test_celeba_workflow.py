"""`celeba_vae` (Tables 2-3) end to end through the real snakemake, on a fabricated CelebA folder
in the exact distributed formats: JPEGs in img_align_celeba/ (or img_align_celeba.zip),
list_attr_celeba.txt with the real 40 header names, list_eval_partition.txt. Each image shows
its ten modelled attributes as bright or dark blocks, so the VAE, the judge and PluGeN can
learn them in seconds; bad inputs fail before any job with one line naming the file or key."""

from __future__ import annotations

import io as _io
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

from plugen import io
from plugen.experiments.celeba_vae import TABLE2_COLUMNS
from plugen.experiments.celeba_vae.data import ATTRIBUTE_NAMES
from tests.paths import CELEBA_VAE

N, N_TRAIN, N_VAL = 320, 220, 40  # the rest is the test split


def _jpeg(flags: np.ndarray) -> bytes:
    """A 16 x 20 aligned-face stand-in (w x h): the centre 16 x 16 square holds a 4 x 4 grid of
    4 x 4 blocks, block j bright when modelled attribute j is 1; 2-pixel strips above/below."""
    img = np.full((20, 16, 3), 30, dtype=np.uint8)
    for j, on in enumerate(flags):
        r, c = divmod(j, 4)
        img[2 + 4 * r : 6 + 4 * r, 4 * c : 4 * c + 4] = (230, 200, 170) if on else (40, 60, 80)
    buf = _io.BytesIO()
    Image.fromarray(img).save(buf, format="JPEG", quality=95)
    return buf.getvalue()


def fabricate(root: Path, n: int = N, as_zip: bool = False, seed: int = 0) -> np.ndarray:
    """A CelebA folder of ``n`` images at ``root``; returns the 0/1 labels ``(n, 40)``."""
    rng = np.random.default_rng(seed)
    labels = (rng.random((n, 40)) < 0.4).astype(int)
    cols = [ATTRIBUTE_NAMES.index(a) for a in TABLE2_COLUMNS]
    root.mkdir(parents=True, exist_ok=True)
    images = {f"{i + 1:06d}.jpg": _jpeg(labels[i, cols]) for i in range(n)}
    if as_zip:
        with zipfile.ZipFile(root / "img_align_celeba.zip", "w") as zf:
            for name, data in images.items():
                zf.writestr(f"img_align_celeba/{name}", data)
    else:
        (root / "img_align_celeba").mkdir()
        for name, data in images.items():
            (root / "img_align_celeba" / name).write_bytes(data)
    rows = [
        f"{name} " + " ".join(f"{2 * v - 1:2d}" for v in labels[i]) for i, name in enumerate(images)
    ]
    header = [str(n), " ".join(ATTRIBUTE_NAMES) + " "]
    (root / "list_attr_celeba.txt").write_text("\n".join(header + rows) + "\n")
    codes = [0] * N_TRAIN + [1] * N_VAL + [2] * (n - N_TRAIN - N_VAL)
    part = [f"{name} {c}" for name, c in zip(images, codes)]
    (root / "list_eval_partition.txt").write_text("\n".join(part) + "\n")
    return labels


def _config(work: Path, root: Path, **data) -> str:
    cfg = yaml.safe_load(CELEBA_VAE.read_text())
    cfg["celeba_vae"]["data"].update(root=str(root), **data)
    (work / "cfg.yaml").write_text(yaml.safe_dump(cfg))
    return "cfg.yaml"


@pytest.fixture(scope="module")
def celeba_run(tmp_path_factory, snakemake):
    work = tmp_path_factory.mktemp("celeba")
    fabricate(work / "CelebA", as_zip=True)
    snakemake(work, "--configfile", _config(work, work / "CelebA"))
    return work


@pytest.mark.slow
def test_tables_2_and_3_come_out_beside_the_papers_rows(celeba_run):
    res = celeba_run / "results" / "celeba_vae"
    data, _ = io.read_table(res / "data" / "dataset.parquet", io.DATASET)
    assert len(data) == N and data["image_path"].iloc[0] == "images/shard_000.npy#0"
    lat, z = io.read_table(res / "latents.parquet", io.LATENTS)
    train = lat[lat["split"] == "train"]
    known = train[list(TABLE2_COLUMNS)].notna().sum(axis=1)
    assert z.shape == (N, 24) and (known == 8).all()  # labels_per_image: 8 of the 10
    assert lat.loc[lat["split"] == "test", list(TABLE2_COLUMNS)].notna().all().all()
    t2, _ = io.read_table(res / "metrics" / "table2.parquet", io.METRICS)
    assert len(t2) == 21 and t2["Requested value"].iloc[0] == "male x beard"
    avg = t2.set_index("Requested value").loc["Average Acc"]
    assert avg["PluGeN"] == 0.69 and avg["MSP"] == 0.70 and avg["cFlow"] == 0.67
    assert avg["accuracy"] > 0.3, t2  # two requested values at random: 0.25
    t3, _ = io.read_table(res / "metrics" / "table3.parquet", io.METRICS)
    assert list(t3["Metric"]) == ["F1", "AUC"] and list(t3["PluGeN"]) == [0.44, 0.76]
    assert t3["ours"].iloc[1] > 0.6, t3
    judge, _ = io.read_table(res / "metrics" / "classifier.parquet", io.METRICS)
    acc = judge[judge["metric"] == "accuracy"].set_index("attribute")["value"]
    assert set(acc.index) == set(TABLE2_COLUMNS) and acc.min() > 0.8, acc
    fid, _ = io.read_table(res / "metrics" / "fid.parquet", io.METRICS)
    assert {"table2", "generation", "reconstruction"} <= set(fid["images"])
    summary = (celeba_run / "results" / "summary.md").read_text()
    assert "## celeba_vae" in summary and "### table2" in summary and "### table3" in summary
    assert "PluGeN 0.69, MSP 0.70, cFlow 0.67" in summary
    assert (res / "figures" / "table2.png").exists()


def _problems(root, **data) -> list[str]:
    """The config's problems, one line each (validate_config runs the spec's checks)."""
    from plugen.config import ConfigError, validate_config

    cfg = yaml.safe_load(CELEBA_VAE.read_text())
    cfg["celeba_vae"]["data"].update(root=str(root), **data)
    try:
        validate_config(cfg)
    except ConfigError as exc:
        return [line.removeprefix("config: ") for line in str(exc).splitlines()]
    return []


def test_bad_inputs_are_one_line_naming_the_file_or_key(tmp_path):
    root = tmp_path / "CelebA"
    fabricate(root, n=30)  # the fabricated partition puts the first 220 images in train
    partition = root / "list_eval_partition.txt"
    assert _problems(root) == [f"{partition}: no image in the test split"]
    codes = [0] * 20 + [1] * 5 + [2] * 5
    partition.write_text("".join(f"{i + 1:06d}.jpg {c}\n" for i, c in enumerate(codes)))
    assert _problems(root) == []
    assert _problems(root, limit=2) == []  # one train, one test image
    assert _problems(root, attributes=[*TABLE2_COLUMNS, "Beard"]) == [
        "list_attr_celeba.txt: no attribute 'Beard'; close matches: ['No_Beard', 'Bald']"
    ]
    assert _problems(root, attributes=["Male", "Smiling"])[0].startswith(
        "celeba_vae.data.attributes: Table 2 needs ['No_Beard', 'Heavy_Makeup'"
    )
    text = (root / "list_attr_celeba.txt").read_text().splitlines()
    (root / "list_attr_celeba.txt").write_text("\n".join(["31", *text[1:]]) + "\n")
    assert _problems(root) == [
        f"{root}/list_attr_celeba.txt: line 1 says 31 images but the file lists 30"
    ]
    (root / "list_attr_celeba.txt").unlink()
    assert _problems(root) == [f"{root}/list_attr_celeba.txt: CelebA attribute file not found"]
    assert _problems(tmp_path / "nowhere") == [f"{tmp_path}/nowhere: CelebA folder not found"]


@pytest.mark.slow
def test_snakemake_refuses_a_bad_folder_before_any_job(tmp_path, snakemake):
    root = tmp_path / "CelebA"
    fabricate(root, n=30)
    (root / "list_attr_celeba.txt").unlink()
    cfg = _config(tmp_path, root)
    proc = snakemake(tmp_path, "--configfile", cfg, "-n", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "celeba_preprocess" not in out
    assert f"{root}/list_attr_celeba.txt: CelebA attribute file not found" in out


class _BlockEncoder(torch.nn.Module):
    """images (n, 3, 16, 16) in [-1, 1] -> (mean of each 4 x 4 block of channel 0, zeros)."""

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu = torch.nn.functional.avg_pool2d(x[:, :1], 4).flatten(1)
        return mu, torch.zeros_like(mu)


class _BlockDecoder(torch.nn.Module):
    """latents (n, 16) -> (n, 3, 16, 16): each value fills its 4 x 4 block, on every channel."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        blocks = z.reshape(-1, 1, 4, 4).repeat_interleave(4, 2).repeat_interleave(4, 3)
        return blocks.expand(-1, 3, -1, -1)


@pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning")
def test_the_users_torchscript_encoder_and_decoder_replace_the_vae(tmp_path, snakemake):
    fabricate(tmp_path / "CelebA")
    ckpt = {}
    for name, module in (("encoder", _BlockEncoder()), ("decoder", _BlockDecoder())):
        ckpt[name] = str(tmp_path / f"{name}.pt")
        torch.jit.save(torch.jit.script(module), ckpt[name])
    cfg = yaml.safe_load((tmp_path / _config(tmp_path, tmp_path / "CelebA")).read_text())
    cfg["celeba_vae"]["backbone"]["checkpoint"] = {**ckpt, "image_range": [-1.0, 1.0]}
    (tmp_path / "cfg.yaml").write_text(yaml.safe_dump(cfg))
    res = tmp_path / "results" / "celeba_vae"
    targets = [
        str((res / f).relative_to(tmp_path)) for f in ("latents.parquet", "metrics/vae.parquet")
    ]
    proc = snakemake(tmp_path, *targets, "--configfile", "cfg.yaml")
    assert "train_vae" not in proc.stdout + proc.stderr
    lat, z = io.read_table(res / "latents.parquet", io.LATENTS)
    data, _ = io.read_table(res / "data" / "dataset.parquet", io.DATASET)
    images = io.read_images(data["image_path"], res / "data")
    by_id = dict(zip(data["id"], images))
    first = by_id[lat["id"].iloc[0]]
    expected = first[:, :, 0].reshape(4, 4, 4, 4).mean((1, 3)).ravel() / 255 * 2 - 1
    assert z.shape == (N, 16)
    np.testing.assert_allclose(z[0], expected, atol=1e-5)
    (quality,) = io.read_table(res / "metrics" / "vae.parquet", io.METRICS)[0].to_dict("records")
    assert 0 < quality["mse"] < 0.05  # the blocks decode back to the fabricated images
