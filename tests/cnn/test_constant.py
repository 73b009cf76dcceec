import numpy as np
import pytest
from scipy import stats
from scipy.special import expit

from gzxai.cnn.constant import (
    concentration_logits,
    dirichlet_multinomial_fit,
    dirichlet_multinomial_log_likelihood,
)
from gzxai.core.trees import load_tree

QUESTIONS = (slice(0, 3), slice(3, 5))


def _draw(alpha: np.ndarray, n: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Dirichlet-multinomial counts: one Dirichlet draw per galaxy, then its N votes."""
    rho = rng.dirichlet(alpha, size=len(n))
    return np.stack([rng.multinomial(ni, pi) for ni, pi in zip(n, rho, strict=True)])


def test_the_log_likelihood_is_scipys_summed_over_the_tree_and_zero_where_nobody_was_asked():
    tree = load_tree()
    questions = list(tree.answer_slices().values())
    rng = np.random.default_rng(11)
    counts = rng.integers(0, 25, (40, len(tree.kaggle_columns)))
    counts[:8, questions[3]] = 0
    counts[:2] = 0
    alpha = rng.uniform(0.05, 60.0, counts.shape[1])
    ours = dirichlet_multinomial_log_likelihood(counts, alpha, questions)
    expected = np.zeros(len(counts))
    for answers in questions:
        for i, k in enumerate(counts[:, answers]):
            if k.sum():
                expected[i] += stats.dirichlet_multinomial.logpmf(k, alpha[answers], k.sum())
    np.testing.assert_allclose(ours, expected, rtol=1e-10, atol=1e-10)
    assert ours[:2].tolist() == [0.0, 0.0]


def test_the_fit_recovers_the_concentrations_the_counts_were_drawn_from():
    rng = np.random.default_rng(4)
    truth = np.array([0.6, 2.5, 0.3, 4.0, 1.5])
    n = rng.integers(10, 60, 6000)
    counts = np.concatenate(
        [_draw(truth[QUESTIONS[0]], n, rng), _draw(truth[QUESTIONS[1]], n // 3, rng)], axis=1
    )
    fitted = dirichlet_multinomial_fit(counts, QUESTIONS)
    np.testing.assert_allclose(fitted, truth, rtol=0.1)


def test_the_fit_is_a_maximum_of_the_likelihood():
    rng = np.random.default_rng(7)
    counts = np.concatenate(
        [_draw(np.array([1.2, 0.7, 0.2]), rng.integers(5, 50, 500), rng), np.zeros((500, 2))],
        axis=1,
    )
    counts[::2, 3:] = _draw(np.array([3.0, 1.0]), rng.integers(1, 20, 250), rng)
    fitted = dirichlet_multinomial_fit(counts, QUESTIONS)
    best = dirichlet_multinomial_log_likelihood(counts, fitted, QUESTIONS).mean()
    for _ in range(20):
        nudged = fitted * np.exp(rng.normal(0, 0.05, fitted.shape))
        assert dirichlet_multinomial_log_likelihood(counts, nudged, QUESTIONS).mean() < best
    assert dirichlet_multinomial_log_likelihood(counts, np.ones(5), QUESTIONS).mean() < best


def test_a_question_nobody_was_asked_keeps_concentrations_of_one():
    counts = np.zeros((10, 5))
    counts[:, 0] = 20
    fitted = dirichlet_multinomial_fit(counts, QUESTIONS)
    assert fitted[3:].tolist() == [1.0, 1.0]
    assert fitted[0] > 100 * fitted[1:3].max()  # unanimous answers: the first dominates


def test_the_logits_give_back_the_concentrations_inside_the_range_and_its_edges_outside():
    floor, scale = 0.01, 100.0
    alpha = np.array([0.5, 1.0, 37.0, 99.0])
    logits = concentration_logits(alpha, floor, scale)
    np.testing.assert_allclose(floor + scale * expit(logits), alpha, rtol=1e-12)
    edges = floor + scale * expit(concentration_logits(np.array([0.001, 500.0]), floor, scale))
    assert floor < edges[0] < floor + 0.2 and floor + scale - 0.2 < edges[1] < floor + scale
    assert np.isfinite(concentration_logits(np.array([1.0]), floor=1.0, scale=100.0)).all()


def test_the_start_is_the_fit_expressed_in_the_heads_logits():
    rng = np.random.default_rng(9)
    counts = np.concatenate(
        [
            _draw(np.array([2.0, 0.8, 0.4]), rng.integers(10, 40, 800), rng),
            _draw(np.array([5.0, 1.0]), rng.integers(5, 20, 800), rng),
        ],
        axis=1,
    )
    logits = concentration_logits(dirichlet_multinomial_fit(counts, QUESTIONS), 0.01, 100.0)
    np.testing.assert_allclose(
        0.01 + 100.0 * expit(logits), dirichlet_multinomial_fit(counts, QUESTIONS), rtol=1e-9
    )


@pytest.mark.parametrize("floor", [1.0, 0.01])
def test_the_head_starts_at_the_given_bias_and_keeps_its_range_when_saved(floor, tmp_path):
    keras = pytest.importorskip("keras")
    from gzxai.cnn.augment import ViewConfig
    from gzxai.cnn.models import ModelConfig, build_model
    from gzxai.cnn.train import load_model

    cfg = ModelConfig(
        "walmsley", head_units=(8,), width=4, output="dirichlet", dropout=0.5,
        concentration_floor=floor, concentration_scale=100.0,
    )  # fmt: skip
    bias = np.linspace(-6, 3, 37)
    view = ViewConfig(size_px=16, zoom=(1.1, 1.3), random_crop=True)
    model = build_model(cfg, 32, 37, view, seed=1, output_bias=bias)
    model.get_layer("logits").kernel.assign(np.zeros((8, 37), "float32"))
    images = np.random.default_rng(0).uniform(size=(2, 32, 32, 3)).astype("float32")
    expected = floor + 100.0 * expit(bias)
    np.testing.assert_allclose(model.predict(images, verbose=0)[0], expected, rtol=1e-5)
    model.save(tmp_path / "tree.keras")
    again = load_model(tmp_path / "tree.keras")
    np.testing.assert_allclose(again.predict(images, verbose=0)[1], expected, rtol=1e-5)
    assert isinstance(again, keras.Model)
