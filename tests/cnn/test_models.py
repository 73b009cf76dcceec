import numpy as np
import pytest

from gzxai.cnn.augment import AugmentConfig
from gzxai.cnn.models import APPLICATIONS, LOGITS_LAYER, ModelConfig, backbone, build_model
from gzxai.core.errors import ConfigError

keras = pytest.importorskip("keras")

NO_AUGMENT = AugmentConfig(
    rotation=False, flips=False, shift_fraction=0.0, brightness_range=(1.0, 1.0)
)


@pytest.mark.parametrize(
    ("architecture", "size", "head"),
    [("vgg_compact", 32, (24, 12)), ("resnet_compact", 32, (16,)), ("xception_compact", 32, ())],
)
def test_compact_members_map_images_to_37_fractions(architecture, size, head):
    model = build_model(
        ModelConfig(architecture, head_units=head, width=4), size, 37, NO_AUGMENT, 0
    )
    out = np.asarray(
        model(np.random.default_rng(0).uniform(size=(3, size, size, 3)).astype("float32"))
    )
    assert out.shape == (3, 37)
    assert ((out > 0) & (out < 1)).all()
    assert model.get_layer(LOGITS_LAYER).units == 37
    dense = [layer.units for layer in model.layers if layer.name.startswith("head_dense")]
    assert dense == list(head)


@pytest.mark.parametrize("architecture", list(APPLICATIONS))
def test_each_paper_backbone_builds_and_takes_a_training_step(architecture):
    size = APPLICATIONS[architecture][1]
    head = (16, 8) if architecture == "vgg16" else ()
    model = build_model(ModelConfig(architecture, head_units=head), size, 37, AugmentConfig(), 1)
    assert model.output_shape == (None, 37)
    if architecture == "vgg16":
        assert model.get_layer("flatten") is not None
    else:
        assert model.get_layer("pool") is not None
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="mse", jit_compile=False
    )
    rng = np.random.default_rng(1)
    x = rng.uniform(size=(2, size, size, 3)).astype("float32")
    y = rng.uniform(size=(2, 37)).astype("float32")
    before = model.get_layer(LOGITS_LAYER).get_weights()[0].copy()
    loss = model.train_on_batch(x, y)
    assert np.isfinite(loss)
    assert not np.allclose(before, model.get_layer(LOGITS_LAYER).get_weights()[0])


def test_relu_is_swapped_for_the_chosen_activation():
    relu = keras.activations.relu
    swished = backbone(ModelConfig("resnet50v2", activation="swish"), 32)
    kept = backbone(ModelConfig("resnet50v2", activation="relu"), 32)
    assert not any(getattr(layer, "activation", None) is relu for layer in swished.layers)
    assert sum(getattr(layer, "activation", None) is relu for layer in kept.layers) > 10


def test_too_small_images_and_impossible_weights_are_refused():
    with pytest.raises(ConfigError, match="at least 71 px"):
        backbone(ModelConfig("xception"), 64)
    with pytest.raises(ConfigError, match="no pretrained weights"):
        backbone(ModelConfig("vgg_compact", weights="imagenet"), 32)
    with pytest.raises(ConfigError, match="not found"):
        backbone(ModelConfig("vgg16", weights="/nowhere/weights.h5"), 32)
    with pytest.raises(ConfigError, match="unknown architecture"):
        backbone(ModelConfig("alexnet"), 32)


def test_imagenet_weights_without_network_give_instructions(monkeypatch):
    def offline(**kwargs):
        raise OSError("URL fetch failure: no route to host")

    offline.__name__ = "VGG16"
    monkeypatch.setitem(APPLICATIONS, "vgg16", (offline, 32))
    with pytest.raises(ConfigError, match=r"ImageNet weights .* set weights: null"):
        backbone(ModelConfig("vgg16", weights="imagenet"), 32)
