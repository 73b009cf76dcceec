import numpy as np
import pytest

from gzxai.bias import resolution
from gzxai.cnn.losses import debiased_likelihood_loss, rmse_loss

keras = pytest.importorskip("keras")


def test_rmse_loss_is_the_root_of_the_mean_square():
    rng = np.random.default_rng(0)
    y, p = rng.uniform(size=(8, 37)).astype("float32"), rng.uniform(size=(8, 37)).astype("float32")
    assert float(rmse_loss(y, p)) == pytest.approx(np.sqrt(np.mean((y - p) ** 2)), rel=1e-6)


def test_the_debiased_loss_is_cross_entropy_when_theta_goes_to_zero():
    rng = np.random.default_rng(0)
    p = rng.uniform(0.05, 0.95, 64).astype("float32")
    label = (rng.uniform(size=64) < 0.5).astype("float32")
    alpha = rng.uniform(5, 50, 64)
    flip = resolution.flip_probability(alpha, theta=1e-3).astype("float32")
    assert flip.max() == 0.0
    loss = float(debiased_likelihood_loss(np.stack([label, flip], 1), p[:, None]))
    bce = -np.mean(label * np.log(p) + (1 - label) * np.log(1 - p))
    assert loss == pytest.approx(bce, rel=1e-5)


def test_the_debiased_loss_forgives_smooth_labels_of_unresolved_disks():
    p_disk_like = np.array([[0.1]], dtype="float32")  # the model says: a disk
    unresolved = np.array([[1.0, 0.9]], dtype="float32")  # labelled smooth, flip probability 0.9
    resolved = np.array([[1.0, 0.0]], dtype="float32")
    assert float(debiased_likelihood_loss(unresolved, p_disk_like)) < 0.2
    assert float(debiased_likelihood_loss(resolved, p_disk_like)) > 2.0
