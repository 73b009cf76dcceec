import numpy as np
import pytest

from gzxai.cnn.augment import AugmentConfig
from gzxai.cnn.models import ModelConfig, build_model
from gzxai.explain.gradcam import activation_maps, grad_cam

tf = pytest.importorskip("tensorflow")


def test_grad_cam_maps_have_the_image_shape_and_unit_peak():
    model = build_model(
        ModelConfig("resnet_compact", head_units=(8,), width=4),
        32,
        1,
        AugmentConfig(rotation=False, flips=False, shift_fraction=0.0, brightness_range=(1.0, 1.0)),
        0,
    )
    images = np.random.default_rng(0).uniform(size=(5, 32, 32, 3)).astype("float32")
    smooth, disk = grad_cam(model, images, batch_size=2)
    assert smooth.shape == disk.shape == (5, 32, 32)
    assert smooth.min() >= 0 and disk.min() >= 0
    for maps in (smooth, disk):
        peaks = maps.max(axis=(1, 2))
        assert np.all((np.isclose(peaks, 1.0)) | (peaks == 0))


NO_AUGMENT = AugmentConfig(
    rotation=False, flips=False, shift_fraction=0.0, brightness_range=(1.0, 1.0)
)


def flatten_head_model():
    """Backbone → Flatten → Dense(1): the gradient of the logit with respect to the last
    features is the dense kernel itself, different at every position."""
    return build_model(ModelConfig("vgg_compact", head_units=(), width=4), 64, 1, NO_AUGMENT, 0)


def test_hirescam_is_gradient_times_activation_summed_over_channels():
    model = flatten_head_model()
    images = np.random.default_rng(1).uniform(size=(3, 64, 64, 3)).astype("float32")
    increase, decrease = activation_maps(
        model, images, lambda y: y[:, 0], method="hirescam", through_output=False
    )
    backbone = next(layer for layer in model.layers if layer.name == "vgg_compact_backbone")
    features = backbone(images, training=False).numpy()  # n × h × w × c
    kernel = model.get_layer("logits").get_weights()[0][:, 0].reshape(features.shape[1:])
    by_hand = (features * kernel).sum(axis=-1)
    for sign, maps in ((1, increase), (-1, decrease)):
        expected = np.maximum(sign * by_hand, 0)[..., None]
        expected = tf.image.resize(expected, (64, 64)).numpy()[..., 0]
        peak = expected.max(axis=(1, 2), keepdims=True)
        np.testing.assert_allclose(maps, expected / np.where(peak > 0, peak, 1), atol=1e-5)
    gradcam, _ = activation_maps(
        model, images, lambda y: y[:, 0], method="gradcam", through_output=False
    )
    assert np.abs(gradcam - increase).max() > 0.1  # the gradient varies in space


def test_an_unknown_cam_method_is_named():
    with pytest.raises(ValueError, match="layercam"):
        activation_maps(flatten_head_model(), np.zeros((1, 64, 64, 3)), lambda y: y[:, 0],
                        method="layercam")  # fmt: skip
