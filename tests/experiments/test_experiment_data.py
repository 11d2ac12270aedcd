"""What the image experiments' specs tell the shared data, VAE and judge rules: which data set an
experiment reads, how many images it holds, which VAE and judge the DAG trains, the user's
encoder and the labels kept per image."""

import copy

import pytest

from plugen import experiments
from plugen.config import load_config
from plugen.experiments.celeba_vae.data import SPLIT_SIZES
from tests import paths

TINY = load_config(paths.TINY)  # shapes: n_pretrain 300, n_val 60, n_test 64


def celeba(**changes):
    """TINY with celeba_vae settings changed: ``section={key: value}``."""
    config = copy.deepcopy(TINY)
    for section, values in changes.items():
        config["celeba_vae"][section].update(values)
    return config


CHECKPOINT = {"encoder": "enc.pt", "decoder": "dec.pt", "image_range": [-1.0, 1.0]}


def test_each_image_experiment_reads_its_data_section():
    sections = {n: experiments.get(n).data_section(TINY) for n in experiments.names()}
    assert sections == {
        "shapes_vae": "shapes",
        "shapes_gan": "shapes",
        "shapes3d": None,  # point clouds: their own data rules, not an image data set
        "shapenet_pc": None,
        "molecules": None,
        "custom": None,
        "stylegan_ffhq": None,
        "celeba_vae": "celeba_vae",
    }


def test_every_experiment_that_encodes_images_has_a_data_set():
    encoded = [
        n
        for n in experiments.names()
        if experiments.get(n).latents == "encoded" and experiments.get(n).payload == "image"
    ]
    assert encoded and all(experiments.get(n).data_section(TINY) for n in encoded)


def test_shapes_images_are_the_configured_counts():
    shapes = experiments.get("shapes_vae")
    assert shapes.n_images(TINY, ["pretrain", "val"]) == 360
    assert shapes.n_images(TINY, ["train", "val", "test"]) == 300 + 60 + 64
    assert experiments.get("molecules").n_images(TINY, ["train"]) == 0


def test_celeba_images_are_the_standard_splits_cut_in_proportion_by_data_limit():
    assert SPLIT_SIZES == {"train": 162770, "val": 19867, "test": 19962}
    spec = experiments.get("celeba_vae")
    assert spec.n_images(celeba(), ["train", "val", "test"]) == 202599
    assert spec.n_images(celeba(), ["pretrain", "val"]) == 19867  # no pretrain split
    assert spec.n_images(celeba(data={"limit": 1000}), ["train", "val"]) == 802 + 99
    assert spec.n_images(celeba(data={"limit": 1000}), ["test"]) == 99
    assert spec.n_images(celeba(data={"limit": 50000}), ["val"]) == 4904


def test_the_dag_trains_shapes_vae_and_celeba_vae_unless_the_user_gives_a_checkpoint():
    assert experiments.get("shapes_vae").vae_config(TINY) is TINY["shapes_vae"]["vae"]
    spec = experiments.get("celeba_vae")
    assert spec.vae_config(celeba()) == celeba()["celeba_vae"]["backbone"]
    assert spec.vae_config(celeba(backbone={"checkpoint": CHECKPOINT})) is None
    trained = [n for n in experiments.names() if experiments.get(n).vae_config(TINY)]
    assert trained == ["shapes_vae", "celeba_vae"]


def test_vae_trains_on_shapes_pretrain_split_and_on_celeba_train_split():
    assert experiments.get("shapes_vae").vae_splits(TINY) == ("pretrain", "val")
    assert experiments.get("celeba_vae").vae_splits(TINY) == ("train", "val")


def test_the_users_encoder_replaces_the_trained_vae():
    spec = experiments.get("celeba_vae")
    assert spec.user_encoder(celeba()) is None
    assert spec.user_encoder(celeba(backbone={"checkpoint": CHECKPOINT})) == {
        "path": "enc.pt",
        "image_range": [-1.0, 1.0],
    }
    assert experiments.get("shapes_vae").user_encoder(TINY) is None


@pytest.mark.parametrize("k", [None, 5])
def test_labels_per_image_is_celeba_data_setting(k):
    assert experiments.get("celeba_vae").labels_per_image(celeba(data={"labels_per_image": k})) == k
    assert experiments.get("shapes_vae").labels_per_image(TINY) is None


def test_only_celeba_trains_its_own_judge_and_not_when_the_user_gives_one():
    judged = [n for n in experiments.names() if experiments.get(n).trains_judge(TINY)]
    assert judged == ["celeba_vae"]  # the shapes experiments share the shapes classifier
    assert not experiments.get("celeba_vae").trains_judge(celeba(judge={"path": "judge.pt"}))
