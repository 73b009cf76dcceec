import numpy as np
import pytest

from gzxai.cnn.augment import AugmentConfig
from gzxai.cnn.models import ModelConfig, build_model
from gzxai.explain.gradcam import activation_maps
from gzxai.explain.sanity import cascade, reinitialise, spearman, ssim, weighted_layers
from gzxai.explain.smoothgrad import logits_model, smoothgrad

keras = pytest.importorskip("keras")

NO_AUGMENT = AugmentConfig(
    rotation=False, flips=False, shift_fraction=0.0, brightness_range=(1.0, 1.0)
)


@pytest.fixture(scope="module")
def trained():
    """A tiny model trained until its output depends on where a bright blob is."""
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 0.1, size=(256, 32, 32, 3)).astype("float32")
    left = rng.uniform(size=256) < 0.5
    images[left, 12:20, 4:12] += 0.9
    images[~left, 12:20, 20:28] += 0.9
    model = build_model(ModelConfig("vgg_compact", head_units=(8,), width=4), 32, 1,
                        NO_AUGMENT, 0)  # fmt: skip
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="binary_crossentropy")
    model.fit(images, left.astype("float32")[:, None], epochs=15, batch_size=32, verbose=0)
    return model, images[:4]


def test_maps_are_alike_for_the_same_model_and_unlike_for_a_randomised_one(trained):
    model, images = trained
    scorer = logits_model(model)
    common = dict(ids=[1, 2, 3, 4], target=0, n_samples=8, noise_level=0.1, seed=1)
    original = smoothgrad(scorer, images, **common)
    again = smoothgrad(logits_model(model), images, **common)
    assert spearman(original[0], again[0]) == pytest.approx(1.0)
    assert ssim(original[0], again[0]) == pytest.approx(1.0)
    *_, (name, randomised) = cascade(model, seed=5)
    assert name == weighted_layers(model)[0].name  # the cascade ends at the first layer
    destroyed = smoothgrad(logits_model(randomised), images, **common)
    correlations = [spearman(a, b, absolute=True) for a, b in zip(original, destroyed, strict=True)]
    assert np.mean(correlations) < 0.9
    assert np.mean([ssim(a, b) for a, b in zip(original, destroyed, strict=True)]) < 0.9
    # HiResCAM of the whole cascade's end differs from the trained model's too
    trained_cam, _ = activation_maps(model, images, lambda y: y[:, 0], through_output=False)
    random_cam, _ = activation_maps(randomised, images, lambda y: y[:, 0], through_output=False)
    assert not np.allclose(trained_cam, random_cam, atol=0.05)


def test_the_cascade_randomises_from_the_output_down_and_leaves_the_model_alone(trained):
    model, _ = trained
    before = [w.copy() for w in model.get_weights()]
    names = [layer.name for layer in weighted_layers(model)]
    steps = []
    for name, copy in cascade(model, seed=2):
        steps.append(name)
        if len(steps) == 1:
            changed = [
                not np.array_equal(a, b) for a, b in zip(before, copy.get_weights(), strict=True)
            ]
            assert changed[-2:] == [True, True]  # the output layer's kernel and bias
            assert not any(changed[:-2])
    assert steps == names[::-1]
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_reinitialising_is_seeded():
    dense_a, dense_b = keras.layers.Dense(4), keras.layers.Dense(4)
    dense_a.build((None, 3))
    dense_b.build((None, 3))
    reinitialise(dense_a, seed=7)
    reinitialise(dense_b, seed=7)
    np.testing.assert_array_equal(dense_a.get_weights()[0], dense_b.get_weights()[0])


def test_spearman_of_a_constant_map_is_undefined():
    assert np.isnan(spearman(np.zeros((4, 4)), np.arange(16).reshape(4, 4)))
