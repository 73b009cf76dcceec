import numpy as np

from gzxai.cnn.augment import AugmentConfig
from gzxai.cnn.models import ModelConfig, build_model
from gzxai.explain.gradcam import grad_cam


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
