import numpy as np
import pytest

from plugen.cli import synthetic_labels

label_fn = synthetic_labels


@pytest.fixture(scope="session")
def synthetic_latents():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(6000, 12)).astype(np.float32)
    z[:, 6:] *= 0.3  # uneven scales, like a real VAE latent
    z[:, 2] += 0.5 * z[:, 0]  # correlated attributes
    return z, label_fn(z)


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """Tests run beside each other on 2 cores: one thread each avoids oversubscription."""
    import torch

    torch.set_num_threads(1)
