import numpy as np
import pytest

from gzxai.cnn.augment import AugmentConfig
from gzxai.cnn.models import ModelConfig, build_model
from gzxai.explain.smoothgrad import logits_model, smoothgrad

tf = pytest.importorskip("tensorflow")

NO_AUGMENT = AugmentConfig(
    rotation=False, flips=False, shift_fraction=0.0, brightness_range=(1.0, 1.0)
)


@pytest.fixture(scope="module")
def model():
    return build_model(ModelConfig("xception_compact", width=8), 32, 37, NO_AUGMENT, seed=0)


@pytest.fixture(scope="module")
def scorer(model):
    return logits_model(model)


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).uniform(size=(3, 32, 32, 3)).astype(np.float32)


def test_one_noiseless_sample_is_the_plain_normalised_gradient(scorer, images):
    maps = smoothgrad(scorer, images, ids=[1, 2, 3], target=5, n_samples=1, noise_level=0.0, seed=0)
    x = tf.convert_to_tensor(images[:1])
    with tf.GradientTape() as tape:
        tape.watch(x)
        score = scorer(x)[:, 5]
    plain = np.abs(tape.gradient(score, x).numpy()[0]).max(axis=-1)
    plain = (plain - plain.min()) / (plain.max() - plain.min())
    np.testing.assert_allclose(maps[0], plain, atol=1e-5)


def test_maps_are_normalised_seeded_per_galaxy_and_independent_of_chunking(scorer, images):
    common = dict(target=5, n_samples=16, noise_level=0.1, seed=4)
    a = smoothgrad(scorer, images, ids=[1, 2, 3], chunk=16, **common)
    b = smoothgrad(scorer, images, ids=[1, 2, 3], chunk=5, **common)
    c = smoothgrad(scorer, images[::-1], ids=[3, 2, 1], chunk=16, **common)
    together = smoothgrad(scorer, images, ids=[1, 2, 3], chunk=48, **common)
    assert a.shape == (3, 32, 32)
    assert a.min() == 0.0 and np.allclose(a.max(axis=(1, 2)), 1.0)
    np.testing.assert_allclose(a, b, atol=1e-5)  # the chunk size does not change a map
    np.testing.assert_allclose(a, together, atol=1e-5)  # nor do other galaxies in the call
    np.testing.assert_allclose(a, c[::-1], atol=1e-5)  # nor does its position in the batch
    other = smoothgrad(scorer, images, ids=[7, 8, 9], chunk=16, **common)
    assert not np.allclose(a, other)  # the noise belongs to the galaxy


def test_the_target_is_the_pre_sigmoid_score(model, scorer, images):
    logits = scorer(images).numpy()
    assert logits.shape == (3, 37)
    assert scorer.layers[-1].name == "logits"
    np.testing.assert_allclose(1 / (1 + np.exp(-logits)), model(images).numpy(), atol=1e-6)
