"""CharVAE: tokenizer/vocabulary round trips, a tiny training run, save/load."""

import numpy as np
import pytest
import torch

from plugen.backbones.base import Backbone
from plugen.experiments.molecules.charvae import (
    CharVAE,
    CharVAELoss,
    Vocabulary,
    charvae_report,
    fit_charvae,
    reconstruction_accuracy,
)
from plugen.experiments.molecules.chem import valid_mask
from plugen.experiments.molecules.data import canonical_smiles
from plugen.train import TrainConfig


def test_tokenizer_keeps_multi_character_tokens_whole(smiles):
    vocab = Vocabulary.build(smiles)
    assert vocab.tokenize("ClCCBr") == ["Cl", "C", "C", "Br"]
    assert vocab.tokenize("c1cc[nH]c1") == ["c", "1", "c", "c", "[nH]", "c", "1"]
    assert vocab.tokenize("C%12CC%12") == ["C", "%12", "C", "C", "%12"]
    assert vocab.tokens[:4] == ["<pad>", "<bos>", "<eos>", "<unk>"]


@pytest.mark.parametrize("representation", ["smiles", "selfies"])
def test_encode_decode_round_trip(smiles, representation):
    vocab = Vocabulary.build(smiles, representation)
    ids = vocab.encode(smiles)
    assert ids.dtype == torch.long and ids.shape[0] == len(smiles)
    decoded = vocab.decode(ids)
    assert [canonical_smiles(s) for s in decoded] == [canonical_smiles(s) for s in smiles]
    if representation == "smiles":
        assert decoded == smiles


def test_unknown_tokens_and_too_long_strings():
    vocab = Vocabulary.build(["CCO"])
    assert vocab.decode(vocab.encode(["CCN"])) == ["CC"]  # N unseen -> <unk>, dropped on decode
    with pytest.raises(ValueError, match="at most 2 fit"):
        vocab.encode(["CCO"], length=3)
    with pytest.raises(ValueError, match="special tokens"):
        Vocabulary(["C", "O"])


def _fit(smiles, representation="smiles", epochs=2, seed=0):
    cfg = TrainConfig(
        epochs=epochs,
        batch_size=4,
        lr=3e-3,
        progress=False,
        seed=seed,
        patience=None,
        lr_schedule="none",
    )
    kwargs = {"representation": representation, "hidden_dim": 32, "latent_dim": 6, "embed_dim": 8}
    return fit_charvae(smiles * 2, cfg, kwargs, val_smiles=smiles[:4], kl_anneal_epochs=1)


@pytest.fixture(scope="module")
def tiny(smiles):
    return _fit(smiles)


def test_training_lowers_the_loss_and_gives_a_backbone(tiny, smiles):
    model, history = tiny
    rows = history.rows
    assert len(rows) == 2 and rows[1]["val_recon"] < rows[0]["val_recon"]
    assert isinstance(model, Backbone) and model.latent_dim == 6
    z = model.encode_smiles(smiles)
    assert z.shape == (len(smiles), 6) and z.dtype == np.float32
    np.testing.assert_array_equal(z, model.encode_smiles(smiles))  # posterior mean
    ids = model.decode(torch.as_tensor(z))
    assert ids.shape == (len(smiles), model.config.max_len + 1)
    assert len(model.decode_latents(z)) == len(smiles)


def test_training_is_deterministic_for_a_seed(tiny, smiles):
    again, _ = _fit(smiles)
    for a, b in zip(tiny[0].state_dict().values(), again.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_selfies_samples_are_valid_unless_empty(smiles):
    model, _ = _fit(smiles, "selfies", epochs=1)
    samples = model.sample_prior(32, seed=1)
    nonempty = [s for s in samples if s]
    assert len(nonempty) > 8 and valid_mask(nonempty).all()
    report = charvae_report(model, smiles[:4], n_prior=32, seed=1)
    assert report["prior_validity"] == pytest.approx(len(nonempty) / 32)  # '' counts invalid
    assert 0.0 <= report["reconstruction_accuracy"] <= 1.0


def test_save_load_keeps_weights_vocabulary_and_config(tiny, tmp_path, smiles):
    model, _ = tiny
    model.save(tmp_path / "charvae.pt")
    loaded = CharVAE.load(tmp_path / "charvae.pt")
    assert loaded.vocab.tokens == model.vocab.tokens and loaded.config == model.config
    np.testing.assert_array_equal(loaded.encode_smiles(smiles), model.encode_smiles(smiles))
    assert loaded.sample_prior(8, seed=2) == model.sample_prior(8, seed=2)
    torch.save({"weights": 1}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a CharVAE checkpoint"):
        CharVAE.load(tmp_path / "other.pt")


def test_decode_latents_checks_the_width(tiny):
    with pytest.raises(ValueError, match=r"expected \(n, 6\)"):
        tiny[0].decode_latents(np.zeros((2, 5)))


class _Echo:
    """Stand-in model whose 'reconstructions' are fixed strings."""

    def __init__(self, outputs):
        self.outputs = outputs

    def encode_smiles(self, smiles):
        return np.zeros((len(smiles), 1))

    def decode_latents(self, z):
        return self.outputs


def test_reconstruction_accuracy_compares_molecules():
    # OCC is ethanol written differently (counts); CCN is wrong; 'C(' invalid and wrong
    model = _Echo(["OCC", "CCN", "C(", "c1ccccc1"])
    assert reconstruction_accuracy(model, ["CCO", "CCC", "CCCl", "c1ccccc1"]) == 0.5


@pytest.mark.parametrize(
    "start, steps, expected", [(0.0, 4, [0.25, 0.5, 1.0]), (0.4, 5, [0.52, 0.64, 0.88])]
)
def test_the_kl_weight_anneals_from_its_start_to_beta(tiny, smiles, start, steps, expected):
    model = tiny[0].train()
    loss = CharVAELoss(steps, start)
    ids = model.vocab.encode(smiles[:4])
    weights = []
    for step in (1, 2, 4):  # the training step whose weight is read
        loss.step = step - 1
        terms = loss(model, (ids,))
        weights.append(float((terms["loss"] - terms["recon"]) / (model.config.beta * terms["kl"])))
    model.eval()
    assert weights == pytest.approx(expected, abs=1e-3)
    with pytest.raises(ValueError, match="KL anneal start"):
        CharVAELoss(4, 1.5)
