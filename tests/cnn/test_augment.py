import numpy as np
import pytest

from gzxai.cnn.augment import AugmentConfig, RandomBrightnessScale, augmentation

keras = pytest.importorskip("keras")


def spot_image(size=32, row=4, col=16):
    image = np.zeros((1, size, size, 3), np.float32)
    image[0, row - 1 : row + 2, col - 1 : col + 2] = 1.0
    return image


def centroid(image):
    weights = image[..., 0]
    rows, cols = np.indices(weights.shape)
    return np.array([(rows * weights).sum(), (cols * weights).sum()]) / weights.sum()


def test_brightness_scales_within_the_range_and_only_in_training():
    layer = RandomBrightnessScale(0.7, 1.3, seed=1)
    images = np.full((200, 4, 4, 3), 0.5, np.float32)
    scaled = np.asarray(layer(images, training=True))
    factors = scaled[:, 0, 0, 0] / 0.5
    assert factors.min() >= 0.7 - 1e-6
    assert factors.max() <= 1.3 + 1e-6
    assert factors.min() < 0.75 and factors.max() > 1.25  # the whole range is used
    np.testing.assert_array_equal(np.asarray(layer(images, training=False)), images)


def test_brightness_rejects_an_inverted_range():
    with pytest.raises(ValueError, match="brightness range"):
        RandomBrightnessScale(1.3, 0.7)


def test_rotation_covers_the_full_circle():
    cfg = AugmentConfig(rotation=True, flips=False, shift_fraction=0.0, brightness_range=(1.0, 1.0))
    block = augmentation(cfg, seed=3)
    image = spot_image()
    centre = np.array([15.5, 15.5])
    angles = []
    for _ in range(60):
        moved = centroid(np.asarray(block(image, training=True))[0]) - centre
        angles.append(np.degrees(np.arctan2(moved[1], -moved[0])) % 360)
    # The spot starts straight "up"; rotations over 0-360 degrees scatter it all around.
    assert np.histogram(angles, bins=4, range=(0, 360))[0].min() >= 5
    rotation = block.layers[0].get_config()
    assert rotation["fill_mode"] == "reflect"


def test_shifts_stay_within_five_percent():
    cfg = AugmentConfig(
        rotation=False, flips=False, shift_fraction=0.05, brightness_range=(1.0, 1.0)
    )
    block = augmentation(cfg, seed=4)
    image = spot_image(size=64, row=32, col=32)
    shifts = [
        centroid(np.asarray(block(image, training=True))[0]) - centroid(image[0]) for _ in range(40)
    ]
    assert np.abs(shifts).max() <= 0.05 * 64 + 0.5
    assert np.abs(shifts).max() > 1.0


def test_flips_are_horizontal_and_vertical():
    cfg = AugmentConfig(rotation=False, flips=True, shift_fraction=0.0, brightness_range=(1.0, 1.0))
    block = augmentation(cfg, seed=5)
    image = spot_image(size=32, row=4, col=6)
    seen = {
        tuple(np.round(centroid(np.asarray(block(image, training=True))[0])).astype(int))
        for _ in range(40)
    }
    assert seen == {(4, 6), (27, 6), (4, 25), (27, 25)}


def test_augmentation_is_the_identity_at_inference():
    block = augmentation(AugmentConfig(gaussian_noise=0.1), seed=6)
    image = np.random.default_rng(0).uniform(size=(2, 32, 32, 3)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(block(image, training=False)), image, atol=1e-6)
