"""The molecule backbone's pretraining recipe: epochs of a fixed size, the cached corpus,
resuming a killed run, exporting its best weights, and recipe errors."""

import logging

import pytest
import torch

from plugen.experiments.molecules import charvae_pretrain as cp
from plugen.experiments.molecules.charvae import CharVAE
from plugen.train import TrainConfig, train


@pytest.fixture
def corpus(tmp_path, smiles):
    csv = tmp_path / "train.csv"
    csv.write_text("SMILES\n" + "\n".join(smiles * 10) + "\n")
    return csv


def recipe(epochs=2):
    return cp.check_recipe(
        {
            "data": {"n_train": 100, "n_val": 10},
            "model": {
                "representation": "selfies",
                "embed_dim": 8,
                "hidden_dim": 16,
                "latent_dim": 4,
            },
            "train": {"epochs": epochs, "epoch_examples": 32, "batch_size": 16, "lr": 0.01},
            "seed": 3,
        }
    )


def test_an_epoch_draws_epoch_examples_examples():
    seen = []

    def loss(module, batch):
        seen.append(len(batch[0]))
        return {"loss": (module(batch[0]) ** 2).mean()}

    cfg = TrainConfig(epochs=3, batch_size=16, epoch_examples=40, val_fraction=0, progress=False)
    train(torch.nn.Linear(2, 1), loss, [torch.randn(100, 2)], cfg)
    assert seen == [16, 16, 8] * 3


def test_pretraining_writes_a_model_of_the_recipe(corpus, tmp_path):
    model, history = cp.pretrain(recipe(), corpus, tmp_path / "m.pt", progress_bars=False)
    loaded = CharVAE.load(tmp_path / "m.pt")
    assert loaded.config.hidden_dim == 16 and loaded.vocab.representation == "selfies"
    assert len(history.rows) == 2 and not (tmp_path / "m.pt.resume").exists()
    assert (tmp_path / "m.pt.corpus").exists() and (tmp_path / "m.pt.history.json").exists()


def test_a_killed_run_exports_its_best_weights_and_resumes(corpus, tmp_path, monkeypatch, caplog):
    out = tmp_path / "m.pt"

    def killed(self, path):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(CharVAE, "save", killed)
        with pytest.raises(KeyboardInterrupt):
            cp.pretrain(recipe(epochs=1), corpus, out, progress_bars=False)
    best = cp.export_best(recipe(epochs=1), corpus, out, tmp_path / "best.pt")
    assert isinstance(best, CharVAE) and (tmp_path / "best.pt").exists()
    with caplog.at_level(logging.INFO):
        _, history = cp.pretrain(recipe(epochs=2), corpus, out, progress_bars=False)
    assert "resumed from epoch 1" in caplog.text and len(history.rows) == 2


def test_a_second_stage_starts_from_the_first_and_raises_beta_from_where_it_ended(
    corpus, tmp_path, monkeypatch
):
    from plugen.experiments.molecules import charvae

    first, _ = cp.pretrain(recipe(epochs=1), corpus, tmp_path / "s1.pt", progress_bars=False)
    stage2 = recipe(epochs=1)
    stage2["model"]["beta"] = 0.5
    stage2.update(init=str(tmp_path / "s1.pt"), kl_anneal_from=0.2, kl_anneal_epochs=4)
    seen = {}

    def spy(model, loss_fn, *args, **kwargs):  # what training starts from
        seen["weights"] = {k: v.clone() for k, v in model.state_dict().items()}
        seen["kl_start"] = loss_fn.start
        return train(model, loss_fn, *args, **kwargs)

    monkeypatch.setattr(charvae, "train", spy)
    shared = tmp_path / "s1.pt.corpus"
    second, _ = cp.pretrain(stage2, corpus, tmp_path / "s2.pt", progress_bars=False, corpus=shared)
    assert all(torch.equal(seen["weights"][k], v) for k, v in first.state_dict().items())
    assert seen["kl_start"] == pytest.approx(0.2 / 0.5)
    assert second.config.beta == 0.5 and not (tmp_path / "s2.pt.corpus").exists()


def test_a_warm_start_from_another_architecture_is_one_line(corpus, tmp_path):
    cp.pretrain(recipe(epochs=1), corpus, tmp_path / "s1.pt", progress_bars=False)
    other = recipe(epochs=1)
    other["model"]["hidden_dim"] = 8
    other["init"] = str(tmp_path / "s1.pt")
    with pytest.raises(ValueError, match=r"s1.pt: architecture differs .*hidden_dim"):
        cp.pretrain(other, corpus, tmp_path / "s2.pt", progress_bars=False)


def test_a_smaller_csv_than_the_recipe_asks_for_is_one_line(tmp_path):
    csv = tmp_path / "few.csv"
    csv.write_text("SMILES\nCCO\nCCN\n")
    with pytest.raises(ValueError, match="few.csv: 2 molecules, the recipe asks for 110"):
        cp.prepare_corpus(recipe(), csv, tmp_path / "c.pt")


@pytest.mark.parametrize(
    "change, message",
    [
        ({"model": {"hidden": 3}}, "model.hidden is not a known key"),
        ({"data": {"n_val": 1}}, "data.n_train is missing"),
        ({"extra": 1}, "expected sections"),
        ({"init": 3}, "init must be the path of a CharVAE model file"),
    ],
)
def test_recipe_errors_name_the_key(change, message):
    bad = {**recipe(), **change}
    with pytest.raises(ValueError, match=message):
        cp.check_recipe(bad, "r.yaml")


def test_the_shipped_recipe_is_valid():
    from tests.paths import ROOT

    r = cp.read_recipe(ROOT / "config" / "pretrain" / "charvae_moses.yaml")
    assert r["model"]["representation"] == "selfies"
