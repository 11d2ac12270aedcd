"""JT-VAE backbone: tree decomposition, vocabulary, attachment chemistry (RDKit only), and the
published weights (the pinned wheel, fetched from PyPI into the library's cache when absent;
skipped without network)."""

import json

import pytest
import torch

pytest.importorskip("rdkit")

from rdkit import Chem  # noqa: E402

from plugen.backbones.jtvae import chem  # noqa: E402
from plugen.backbones.jtvae.attach import Part, enumerate_assemblies  # noqa: E402
from plugen.backbones.jtvae.decoder import have_slots, stereo_candidates  # noqa: E402


def _decompose(smiles):
    clusters, edges = chem.tree_decomposition(chem.kekule_mol(smiles))
    return [sorted(c) for c in clusters], edges


# --------------------------------------------------------------------------- decomposition
def test_benzene_is_one_ring_cluster():
    clusters, edges = _decompose("c1ccccc1")
    assert clusters == [[0, 1, 2, 3, 4, 5]] and edges == []
    assert chem.cluster_smiles(chem.kekule_mol("c1ccccc1"), range(6)) == "C1=CC=CC=C1"


def test_chain_is_a_path_of_bonds():
    clusters, edges = _decompose("CCCO")
    assert clusters == [[0, 1], [1, 2], [2, 3]]
    assert edges == [(0, 1), (1, 2)]


def test_branching_atom_becomes_a_singleton_cluster():
    clusters, edges = _decompose("CC(C)C")
    assert clusters == [[0, 1], [1, 2], [1, 3], [1]]
    assert edges == [(0, 3), (1, 3), (2, 3)]


def test_fused_rings_share_a_bond():
    clusters, edges = _decompose("c1ccc2ccccc2c1")
    assert sorted(map(len, clusters)) == [6, 6] and edges == [(0, 1)]
    assert len(set(clusters[0]) & set(clusters[1])) == 2


def test_bridged_rings_merge_into_one_cluster():
    clusters, edges = _decompose("C1CC2CCC1C2")  # norbornane: rings share three atoms
    assert clusters == [list(range(7))] and edges == []


def test_ring_with_substituent_chain():
    clusters, edges = _decompose("OCc1ccccc1")
    assert clusters == [[0, 1], [1, 2], [2, 3, 4, 5, 6, 7]]
    assert edges == [(0, 1), (1, 2)]


def test_spanning_tree_matches_scipy():
    sparse = pytest.importorskip("scipy.sparse")
    csgraph = pytest.importorskip("scipy.sparse.csgraph")
    gen = torch.Generator().manual_seed(0)
    for _ in range(50):
        n = int(torch.randint(3, 12, (1,), generator=gen))
        weights = {}
        for i in range(n):
            for j in range(i + 1, n):
                if torch.rand(1, generator=gen) < 0.5:
                    weights[(i, j)] = int(torch.randint(1, 3, (1,), generator=gen))
        if not weights:
            continue
        rows, cols = [e[0] for e in weights], [e[1] for e in weights]
        data = [chem.MST_MAX_WEIGHT - weights[e] for e in weights]
        tree = csgraph.minimum_spanning_tree(sparse.csr_matrix((data, (rows, cols)), shape=(n, n)))
        expected = sorted(zip(*map(list, tree.nonzero())))
        assert chem._maximum_spanning_tree(n, weights) == [(int(a), int(b)) for a, b in expected]


# --------------------------------------------------------------------------- vocabulary, trees
def test_vocab_alias_and_out_of_vocabulary():
    vocab = chem.Vocab(["CC", "CO", "C1=C[NH]C=C1", "C1=CC=CC=C1"])
    assert vocab.get("C1=CNC=C1") == 2  # written without [NH] by current RDKit
    assert vocab.slots(1) == [("C", 0, 3), ("O", 0, 1)]
    tree = chem.JunctionTree.from_smiles("OCCC", vocab)
    assert [n.label for n in tree.nodes] == ["CO", "CC", "CC"]
    assert tree.nodes[0].atoms == [0, 1] and tree.nodes[0].neighbors == [1]
    with pytest.raises(chem.OutOfVocabulary) as err:
        chem.JunctionTree.from_smiles("CCN", vocab)
    assert err.value.labels == ["CN"] and "\n" not in str(err.value)
    with pytest.raises(ValueError, match="not a valid SMILES"):
        chem.JunctionTree.from_smiles("C1CC", vocab)
    with pytest.raises(ValueError, match="disconnected"):
        chem.JunctionTree.from_smiles("CC.CO", vocab)


def test_root_is_the_cluster_of_atom_zero():
    vocab = chem.Vocab(["CC", "CO", "C1=CC=CC=C1"])
    tree = chem.JunctionTree.from_smiles("c1ccccc1CO", vocab)
    # clusters in bond, ring order: CC, CO, ring; the ring holds atom 0 and swaps with CC
    assert [n.label for n in tree.nodes] == ["C1=CC=CC=C1", "CO", "CC"]
    assert tree.nodes[0].neighbors == [2] and sorted(tree.nodes[2].neighbors) == [0, 1]


# --------------------------------------------------------------------------- assembly chemistry
def test_attachments_to_benzene_are_deduplicated():
    ring = Part(1, chem.kekule_mol("c1ccccc1"))
    methyl = Part(2, chem.kekule_mol("CC"))
    cands = enumerate_assemblies(ring, [methyl])
    assert [Chem.CanonSmiles(s) for s, _, _ in cands] == ["Cc1ccccc1"]
    two = enumerate_assemblies(
        ring, [Part(2, chem.kekule_mol("CO")), Part(3, chem.kekule_mol("CC"))]
    )
    assert sorted(Chem.CanonSmiles(s) for s, _, _ in two) == sorted(
        Chem.CanonSmiles(s) for s in ("Cc1ccccc1O", "Cc1cccc(O)c1", "Cc1ccc(O)cc1")
    )


def test_slots_and_stereo_candidates():
    assert have_slots([("C", 0, 3), ("O", 0, 1)], [("C", 0, 2), ("C", 0, 2)])
    assert not have_slots([("N", 0, 1), ("O", 0, 1)], [("C", 0, 2), ("C", 0, 2)])
    assert stereo_candidates("CC1CCC(N)CC1") == ["CC1CCC(N)CC1"]  # legacy: no ring cis/trans
    assert sorted(stereo_candidates("CC(N)CC")) == ["CC[C@@H](C)N", "CC[C@H](C)N"]
    assert sorted(stereo_candidates("CC=CC")) == ["C/C=C/C", "C/C=C\\C"]


# --------------------------------------------------------------------------- published weights
def _wheel_dir():
    """The pinned wheel's folder (the library's default cache), fetched from PyPI when absent;
    skipped when it cannot be (no network)."""
    from plugen.backbones.jtvae.weights import resolve_wheel
    from plugen.wheels import DEFAULT_WHEEL_DIR

    try:
        return resolve_wheel(DEFAULT_WHEEL_DIR).parent
    except RuntimeError as err:
        pytest.skip(f"jtnnencoder wheel unavailable: {err}")


@pytest.fixture(scope="module")
def model():
    from plugen.backbones.jtvae import load_jtvae

    torch.set_num_threads(1)
    return load_jtvae(_wheel_dir())


def test_loader_refuses_wrong_hashes(tmp_path):
    from plugen.backbones.jtvae.weights import load_jtvae, meta_json

    folder = _wheel_dir()
    meta = meta_json()
    bad_wheel = tmp_path / "jtvae_wheel.json"
    bad_wheel.write_text(json.dumps({**meta, "sha256": "0" * 64}))
    with pytest.raises(ValueError, match=r"sha256 is .*, expected 0+ \(jtvae_wheel.json\)$"):
        load_jtvae(folder, meta=bad_wheel)
    with pytest.raises(ValueError, match="the vocabulary changed"):
        load_jtvae(folder, meta={**meta, "vocab_sha256": "1" * 64})


def test_checkpoint_mapping_is_strict(model):
    from plugen.backbones.jtvae.model import JTVAE
    from plugen.backbones.jtvae.weights import load_state_strict

    names = _original_names(model)
    assert len(names) == 43  # the checkpoint's 43 tensors, the embedding three times
    with pytest.raises(ValueError) as err:
        load_state_strict(JTVAE(model.vocab, hidden=8), names)
    msg = str(err.value)
    assert "\n" not in msg and "graph_encoder.W_i.weight: (450, 50) != (8, 50)" in msg
    names.pop("mpn.W_h.weight")
    names["extra.weight"] = torch.zeros(1)
    with pytest.raises(ValueError, match="unknown tensors: extra.weight"):
        load_state_strict(model, names)
    names.pop("extra.weight")
    with pytest.raises(ValueError, match="missing graph_encoder.W_h.weight"):
        load_state_strict(model, names)
    names = _original_names(model)
    names["decoder.embedding.weight"] = names["decoder.embedding.weight"] + 1
    with pytest.raises(ValueError, match="copies of the shared embedding differ"):
        load_state_strict(model, names)


def _original_names(model):
    """The model's weights under the checkpoint's names (inverse of the loader's mapping)."""
    from plugen.backbones.jtvae.weights import _PREFIXES

    inverse = sorted(((v, k) for k, v in _PREFIXES.items()), key=lambda p: -len(p[0]))
    out = {}
    for key, value in model.state_dict().items():
        own, orig = next((o, c) for o, c in inverse if key.startswith(o))
        out[orig + key[len(own) :]] = value
    return out


def test_model_size(model):
    assert len(model.vocab) == 780 and model.latent == 56
    assert sum(p.numel() for p in model.parameters()) == 5_812_193 - 2 * 780 * 450


def test_encode_known_answer_shape_and_determinism(model):
    smiles = ["CC(=O)Nc1ccc(O)cc1", "Cn1c(=O)c2c(ncn2C)n(C)c1=O", "OCCc1ccncc1"]
    enc = model.encode(smiles)
    assert enc.mean.shape == enc.log_var.shape == (3, 56) and enc.mean.dtype == torch.float32
    assert enc.errors == {} and bool((enc.log_var <= 0).all())
    # values of the original implementation (icml18-jtnn) on these weights
    expected = [-2.047752, -0.636468, -0.357133, 0.036374, -0.021605, 1.023084]
    got = enc.mean[0, [0, 1, 2, 28, 29, 30]].tolist()
    assert got == pytest.approx(expected, abs=1e-4)
    again = model.encode(smiles)
    assert torch.equal(enc.mean, again.mean) and torch.equal(enc.log_var, again.log_var)
    single = torch.cat([model.encode([s]).mean for s in smiles])
    assert torch.allclose(single, enc.mean, atol=1e-5)
    written_otherwise = model.encode(["Oc1ccc(NC(C)=O)cc1"]).mean
    assert torch.allclose(written_otherwise, enc.mean[:1], atol=1e-5)


def test_encode_reports_invalid_smiles_by_index(model):
    smiles = ["CCO", "not smiles", "CC.O", "CC(=O)Nc1ccc(O)cc1", "C[Si](C)(C)[Si](C)(C)C"]
    enc = model.encode(smiles, strict=False)
    assert sorted(enc.errors) == [1, 2, 4] and "not in the vocabulary" in enc.errors[4]
    assert enc.skipped == {"invalid": 2, "out_of_vocabulary": 1}
    assert torch.isnan(enc.mean[[1, 2, 4]]).all() and not torch.isnan(enc.mean[[0, 3]]).any()
    mean, log_var = enc
    assert mean is enc.mean and log_var is enc.log_var
    with pytest.raises(ValueError, match=r"3 of 5 SMILES cannot be encoded: #1 'not smiles'"):
        model.encode(smiles)


def test_decode_recovers_simple_molecules(model):
    smiles = ["CC(=O)Nc1ccc(O)cc1", "CC(=O)Oc1ccccc1C(=O)O", "NC(=O)c1cccnc1"]
    assert model.decode(model.encode(smiles).mean) == smiles
    assert model.decode(torch.full((1, 56), float("nan"))) == [None]
    with pytest.raises(ValueError, match=r"latents must be \(n, 56\)"):
        model.decode(torch.zeros(2, 3))


def test_prior_samples_are_seeded_molecules(model):
    first, second = model.sample(2, seed=0), model.sample(2, seed=0)
    assert first == second
    assert all(s is None or Chem.MolFromSmiles(s) is not None for s in first)
    stochastic = model.decode(
        model.encode(["CC(=O)Nc1ccc(O)cc1"]).mean,
        stochastic=True,
        generator=torch.Generator().manual_seed(1),
    )
    assert stochastic[0] is None or Chem.MolFromSmiles(stochastic[0]) is not None
