import numpy as np
import pytest

from gzxai.bias import resolution
from gzxai.cnn.losses import (
    binomial_log_likelihood,
    binomial_loss,
    debiased_likelihood_loss,
    dirichlet_concentrations,
    dirichlet_multinomial_log_likelihood,
    rmse_loss,
)
from gzxai.core.trees import load_tree

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


def test_the_binomial_log_likelihood_is_scipys():
    rng = np.random.default_rng(3)
    from scipy import stats

    n = rng.integers(0, 60, 200)
    k = rng.integers(0, n + 1)
    rho = rng.uniform(0.01, 0.99, 200)
    ours = binomial_log_likelihood(k, n, keras.ops.convert_to_tensor(rho, "float64"))
    np.testing.assert_allclose(np.asarray(ours), stats.binom.logpmf(k, n, rho), rtol=1e-10)
    assert float(binomial_log_likelihood(0, 0, keras.ops.convert_to_tensor(0.3, "float64"))) == 0


def test_the_binomial_loss_prefers_the_observed_fraction():
    y = np.array([[30.0, 40.0], [3.0, 12.0]], "float32")
    right = np.array([[0.75, 0.25], [0.25, 0.75]], "float32")
    wrong = np.array([[0.25, 0.75], [0.75, 0.25]], "float32")
    assert float(binomial_loss(y, right)) < float(binomial_loss(y, wrong))


def test_the_dirichlet_multinomial_log_likelihood_is_scipys_summed_over_questions():
    from scipy import stats

    tree = load_tree()
    questions = list(tree.answer_slices().values())
    rng = np.random.default_rng(5)
    counts = rng.integers(0, 30, (50, len(tree.kaggle_columns)))
    counts[:10, questions[2]] = 0  # unasked branches: N = 0 drops out
    counts[:3] = 0  # and a galaxy nobody classified
    alpha = rng.uniform(1.0, 101.0, counts.shape)
    ours = dirichlet_multinomial_log_likelihood(
        counts, keras.ops.convert_to_tensor(alpha, "float64"), questions
    )
    expected = np.zeros(len(counts))
    for answers in questions:
        k, a = counts[:, answers], alpha[:, answers]
        expected += [
            stats.dirichlet_multinomial.logpmf(ki, ai, ki.sum()) if ki.sum() else 0.0
            for ki, ai in zip(k, a, strict=True)
        ]
    np.testing.assert_allclose(np.asarray(ours), expected, rtol=1e-9, atol=1e-9)
    assert np.asarray(ours)[:3].tolist() == [0.0, 0.0, 0.0]


def test_concentrations_stay_between_one_and_a_hundred_and_one():
    alpha = np.asarray(dirichlet_concentrations(np.array([-50.0, 0.0, 50.0], "float32")))
    np.testing.assert_allclose(alpha, [1.0, 51.0, 101.0], rtol=1e-6)
