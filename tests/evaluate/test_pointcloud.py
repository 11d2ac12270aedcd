"""Known-answer tests of the point-cloud distances and set metrics (PointFlow's definitions)."""

import time

import numpy as np
import pytest
import torch
from scipy.spatial.distance import cdist

from plugen.evaluate.pointcloud import (
    chamfer,
    chamfer_batch,
    coverage,
    emd,
    mmd,
    one_nna,
    pairwise_chamfer,
    pairwise_emd,
    set_metrics,
)


def _ellipsoids(n: int, points: int, seed: int) -> np.ndarray:
    """``n`` clouds on ellipsoid surfaces with random axes in [0.5, 1] (one distribution),
    each centred on its centroid."""
    rng = np.random.default_rng(seed)
    u = rng.normal(size=(n, points, 3))
    u /= np.linalg.norm(u, axis=-1, keepdims=True)
    u *= rng.uniform(0.5, 1.0, (n, 1, 3))
    return (u - u.mean(1, keepdims=True)).astype(np.float32)


def _brute_chamfer(a: np.ndarray, b: np.ndarray) -> float:
    d2 = cdist(a, b, "sqeuclidean")
    return d2.min(1).mean() + d2.min(0).mean()


def test_chamfer_of_a_cloud_with_itself_and_with_a_translated_copy():
    a = np.array([[0.0, 0, 0], [1, 0, 0]])
    assert chamfer(a, a) == 0.0
    # shifted by 0.25 in x: every nearest neighbour is the point's own copy, at 0.25
    assert chamfer(a, a + [0.25, 0, 0]) == pytest.approx(2 * 0.25**2)
    # shifted by 0.75: the nearest neighbours are 0.75 and 0.25 away in each direction
    assert chamfer(a, a + [0.75, 0, 0]) == pytest.approx(2 * (0.75**2 + 0.25**2) / 2)
    # unequal sizes: one point at the origin against the two-point cloud
    assert chamfer(a, [[0.0, 0, 0]]) == pytest.approx((0 + 1) / 2 + 0)


def test_chamfer_batch_and_pairwise_match_a_brute_force_table():
    x, y = _ellipsoids(5, 64, 0), _ellipsoids(7, 48, 1)
    expected = np.array([[_brute_chamfer(a, b) for b in y] for a in x])
    np.testing.assert_allclose(pairwise_chamfer(x, y), expected, atol=1e-6)
    self_table = pairwise_chamfer(x)
    np.testing.assert_allclose(self_table, self_table.T)
    np.testing.assert_allclose(self_table, pairwise_chamfer(x, x), atol=1e-6)
    batch = chamfer_batch(torch.from_numpy(x[:3]), torch.from_numpy(y[:3])).numpy()
    np.testing.assert_allclose(batch, np.diag(expected[:3, :3]), atol=1e-6)


def test_chamfer_batch_is_differentiable():
    a = torch.zeros(1, 2, 3, requires_grad=True)
    b = torch.tensor([[[1.0, 0, 0], [1, 0, 0]]])
    chamfer_batch(a, b).sum().backward()
    # d/dx of mean (x - 1)^2 over both directions: each point moves towards x = 1
    assert torch.all(a.grad[..., 0] < 0) and torch.all(a.grad[..., 1:] == 0)


def test_emd_of_a_permuted_copy_is_zero_and_of_two_point_clouds_known():
    cloud = _ellipsoids(1, 50, 2)[0]
    assert emd(cloud, cloud[np.random.default_rng(0).permutation(50)]) == pytest.approx(0.0)
    a = np.array([[0.0, 0, 0], [1, 0, 0]])
    b = np.array([[1.0, 1, 0], [0, 1, 0]])
    # optimal matching pairs each point with the one straight above it: distances 1 and 1
    assert emd(a, b) == pytest.approx(1.0)
    # listed in the other order: the optimal matching crosses the indices, 0.1 and 0.1
    c = np.array([[1.0, 0.1, 0], [0, 0.1, 0]])
    assert emd(a, c) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="equal sizes"):
        emd(a, c[:1])


def test_pairwise_emd_is_symmetric_with_a_zero_diagonal():
    x = _ellipsoids(4, 16, 3)
    table = pairwise_emd(x)
    np.testing.assert_allclose(table, table.T)
    assert np.all(np.diag(table) == 0)
    np.testing.assert_allclose(table[0, 1:], pairwise_emd(x[:1], x[1:])[0])


def test_mmd_and_coverage_known_values():
    d = np.array([[0.1, 0.5, 0.9], [0.2, 0.3, 0.8]])  # 2 generated x 3 reference
    # nearest generated per reference: 0.1, 0.3, 0.8
    assert mmd(d) == pytest.approx((0.1 + 0.3 + 0.8) / 3)
    # both generated clouds are nearest to reference 0: one of three covered
    assert coverage(d) == pytest.approx(1 / 3)


def test_one_nna_known_values_on_a_line():
    def tables(xs, ys):
        xs, ys = np.array(xs, float)[:, None], np.array(ys, float)[:, None]
        return cdist(xs, xs), cdist(xs, ys), cdist(ys, ys)

    # X = {0, 1}, Y = {1.2, 5}: 0 -> 1 (right), 1 -> 1.2 (wrong), 1.2 -> 1 (wrong), 5 -> 1.2
    assert one_nna(*tables([0, 1], [1.2, 5])) == 0.5
    assert one_nna(*tables([0, 1], [10, 11])) == 1.0
    with pytest.raises(ValueError, match="disagree"):
        one_nna(np.zeros((2, 2)), np.zeros((2, 3)), np.zeros((2, 2)))


def test_set_metrics_identical_far_apart_and_same_distribution():
    x = _ellipsoids(30, 128, 4)
    same = set_metrics(x, x.copy())
    # every reference is its own copy's nearest: COV 1, MMD 0; PointFlow's 1-NNA is 0 for copies
    assert same["cov"] == 1.0 and same["mmd"] == pytest.approx(0.0, abs=1e-6)
    assert same["1nna"] == 0.0
    shift = np.array([10.0, 0, 0], np.float32)
    assert set_metrics(x + shift, x)["1nna"] == 1.0
    # two independent draws of one distribution: the classifier is at chance
    fair = set_metrics(_ellipsoids(100, 128, 5), _ellipsoids(100, 128, 6))
    assert 0.35 < fair["1nna"] < 0.65 and fair["cov"] > 0.3


def test_set_metrics_emd_far_apart_and_on_a_subset():
    x = _ellipsoids(6, 32, 4)
    far = set_metrics(x + np.array([10.0, 0, 0], np.float32), x, metric="emd")
    # centred clouds: EMD(a + t, b) >= |t| (the mean of the matched differences is t), with
    # equality for b = a; so each reference is exactly 10 from its shifted copy
    assert far["1nna"] == 1.0 and far["mmd"] == pytest.approx(10.0, rel=1e-6)
    # one cloud of each set: its only neighbour is the other set's, so 1-NNA is 0 however far
    one = set_metrics(x + np.array([10.0, 0, 0], np.float32), x, metric="emd", max_clouds=1)
    assert one["1nna"] == 0.0 and one["cov"] == 1.0 and one["mmd"] >= 10.0 - 1e-6


def test_bad_inputs_raise_one_line_value_errors():
    with pytest.raises(ValueError, match=r"expected \(n, P, 3\)"):
        pairwise_chamfer(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"expected \(P, 3\)"):
        chamfer(np.zeros((4, 2)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="metric must be"):
        set_metrics(np.zeros((2, 4, 3)), np.zeros((2, 4, 3)), metric="jsd")
    with pytest.raises(ValueError, match="max_clouds"):
        set_metrics(np.zeros((2, 4, 3)), np.zeros((2, 4, 3)), max_clouds=0)


@pytest.mark.slow
def test_set_metrics_chamfer_200_by_200_clouds_of_512_points_within_60_s():
    generated, reference = _ellipsoids(200, 512, 7), _ellipsoids(200, 512, 8)
    start = time.perf_counter()
    result = set_metrics(generated, reference)
    seconds = time.perf_counter() - start
    assert seconds < 60, f"set_metrics took {seconds:.1f} s"
    assert 0.35 < result["1nna"] < 0.65
