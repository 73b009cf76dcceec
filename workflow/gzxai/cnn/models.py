"""CNN members: the paper's keras.applications backbones and compact variants of each family.

Every model maps an RGB image in [0, 1] to the 37 Galaxy Zoo vote fractions:
``augmentation → backbone → head → "logits" (Dense 37) → "votes" (sigmoid)``. The logits
layer is named so that saliency can take gradients of the pre-sigmoid score, as the
authors' SmoothGrad did (final activation replaced by identity).

Heads follow the authors' code: VGG-style members Flatten → Dense → Dense → Dense(37);
residual and separable members global average pooling → Dense(37); ``head_units`` adds
Dense layers after either (Medina's classifier: pooling → Dense(1024)). The authors swapped ReLU
for swish; ``activation`` makes that a choice.

The vote models (Walmsley et al. 2020, Fig. 3) are the ``walmsley`` architecture: greyscale
views (:class:`gzxai.cnn.augment.GalaxyView`), three pairs of 3×3 convolutions with max
pooling (32, 32, 16 filters at ``width`` 32), Flatten → Dense(128) → Dropout → the outputs: a
2-way softmax giving ρ̂ (``output: softmax``) or Dirichlet concentrations (``dirichlet``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
from keras import layers

from gzxai.cnn.augment import AugmentConfig, ViewConfig, augmentation
from gzxai.cnn.losses import dirichlet_concentrations
from gzxai.core.errors import ConfigError

LOGITS_LAYER = "logits"
OUTPUT_LAYER = "votes"

#: keras.applications backbones and the smallest input each accepts.
APPLICATIONS: dict[str, tuple[Callable[..., keras.Model], int]] = {
    "vgg16": (keras.applications.VGG16, 32),
    "resnet50": (keras.applications.ResNet50, 32),
    "resnet50v2": (keras.applications.ResNet50V2, 32),
    "xception": (keras.applications.Xception, 71),
}
COMPACT = ("vgg_compact", "resnet_compact", "xception_compact", "walmsley")
FLATTEN_HEADS = ("vgg16", "vgg_compact", "walmsley")
DROPOUT_LAYER = "dropout"


@dataclass(frozen=True)
class ModelConfig:
    """One member of ``members`` in the config."""

    architecture: str
    weights: str | None = None
    activation: str = "swish"
    head_units: tuple[int, ...] = field(default=(592, 296))
    width: int = 32
    #: ``sigmoid`` for vote fractions and classes; ``linear`` for a regression (direct CNN);
    #: ``softmax`` for a binomial vote model; ``dirichlet`` for concentrations
    #: floor + scale·sigmoid (:class:`DirichletConcentrations`).
    output: str = "sigmoid"
    #: Dropout rate before the outputs (the vote models' MC dropout); 0 for none.
    dropout: float = 0.0
    #: The ``dirichlet`` output's range (Walmsley et al. 2022: floor 1, scale 100).
    concentration_floor: float = 1.0
    concentration_scale: float = 100.0
    #: Where the output layer's bias starts: ``zero`` (Keras's default) or ``constant_fit``,
    #: the best constant prediction of the training targets under the loss
    #: (:mod:`gzxai.cnn.constant`; ``dirichlet`` outputs only).
    output_start: str = "zero"

    @classmethod
    def from_config(cls, block: dict) -> ModelConfig:
        return cls(
            architecture=block["architecture"],
            weights=block.get("weights"),
            activation=block.get("activation", "swish"),
            head_units=tuple(block.get("head_units", (592, 296))),
            width=int(block.get("width", 32)),
            output=block.get("output", "sigmoid"),
            dropout=float(block.get("dropout", 0.0)),
            concentration_floor=float(block.get("concentration_floor", 1.0)),
            concentration_scale=float(block.get("concentration_scale", 100.0)),
            output_start=block.get("output_start", "zero"),
        )


def build_model(
    cfg: ModelConfig,
    input_size: int,
    n_outputs: int,
    augment: AugmentConfig | ViewConfig,
    seed: int,
    output_bias: np.ndarray | None = None,
) -> keras.Model:
    """Augmentation, backbone and head as one Keras model (``cfg.output`` on the logits);
    ``output_bias``: the logits layer's initial bias (Keras's zeros if None)."""
    inputs = keras.Input((input_size, input_size, 3), name="image")
    augmenter = augmentation(augment, seed)
    x = augmenter(inputs) if augmenter.layers else inputs
    x = backbone(cfg, x.shape[1], channels=x.shape[-1])(x)
    if cfg.architecture in FLATTEN_HEADS:
        x = layers.Flatten(name="flatten")(x)
    else:
        x = layers.GlobalAveragePooling2D(name="pool")(x)
    for i, units in enumerate(cfg.head_units):
        x = layers.Dense(units, activation=cfg.activation, name=f"head_dense_{i}")(x)
    if cfg.dropout:
        x = layers.Dropout(cfg.dropout, seed=seed, name=DROPOUT_LAYER)(x)
    bias = "zeros" if output_bias is None else keras.initializers.Constant(output_bias)
    logits = layers.Dense(n_outputs, bias_initializer=bias, name=LOGITS_LAYER)(x)
    if cfg.output == "dirichlet":
        output = DirichletConcentrations(
            cfg.concentration_floor, cfg.concentration_scale, name=OUTPUT_LAYER
        )
    else:
        output = layers.Activation(cfg.output, name=OUTPUT_LAYER)
    return keras.Model(inputs, output(logits), name=cfg.architecture)


@keras.saving.register_keras_serializable(package="gzxai")
class DirichletConcentrations(layers.Layer):
    """The Dirichlet model's concentrations floor + scale·sigmoid(logits)
    (:func:`gzxai.cnn.losses.dirichlet_concentrations`)."""

    def __init__(self, floor: float = 1.0, scale: float = 100.0, **kwargs):
        super().__init__(**kwargs)
        self.floor, self.scale = float(floor), float(scale)

    def call(self, logits):
        return dirichlet_concentrations(logits, self.floor, self.scale)

    def get_config(self) -> dict:
        return {**super().get_config(), "floor": self.floor, "scale": self.scale}


def backbone(cfg: ModelConfig, input_size: int, channels: int = 3) -> keras.Model:
    """The convolutional part, without its classification top."""
    if cfg.architecture in APPLICATIONS:
        if channels != 3:
            raise ConfigError(f"{cfg.architecture} takes RGB images; these have {channels} channel")
        return _application(cfg, input_size)
    if cfg.architecture not in COMPACT:
        known = ", ".join([*APPLICATIONS, *COMPACT])
        raise ConfigError(f"unknown architecture {cfg.architecture!r}; choose one of {known}")
    if cfg.weights is not None:
        raise ConfigError(f"{cfg.architecture} has no pretrained weights; set weights: null")
    build = {
        "vgg_compact": _vgg_compact,
        "resnet_compact": _resnet_compact,
        "xception_compact": _xception_compact,
        "walmsley": _walmsley,
    }
    return build[cfg.architecture](input_size, cfg.width, cfg.activation, channels)


def _application(cfg: ModelConfig, input_size: int) -> keras.Model:
    constructor, minimum = APPLICATIONS[cfg.architecture]
    if input_size < minimum:
        raise ConfigError(
            f"{cfg.architecture} needs images of at least {minimum} px, got {input_size}"
        )
    weights = cfg.weights
    if weights not in (None, "imagenet") and not Path(weights).is_file():
        raise ConfigError(f"{cfg.architecture}: weights file {weights} not found")
    try:
        model = constructor(
            include_top=False, weights=weights, input_shape=(input_size, input_size, 3)
        )
    except Exception as err:  # Keras raises different errors for each way a download fails
        if weights != "imagenet":
            raise
        raise ConfigError(
            f"{cfg.architecture}: ImageNet weights are not in Keras' cache (~/.keras/models) and "
            f"could not be downloaded ({type(err).__name__}: {err}). Download them once where "
            f"there is internet (keras.applications.{constructor.__name__}(include_top=False, "
            "weights='imagenet')) and copy ~/.keras/models, or give the path of the .h5 file, "
            "or set weights: null"
        ) from err
    if cfg.activation != "relu":
        _swap_relu(model, keras.activations.get(cfg.activation))
    return model


def _swap_relu(model: keras.Model, activation: Callable) -> None:
    """Replace every ReLU of a built model by ``activation`` (the authors used swish)."""
    relu = keras.activations.relu
    for layer in model.layers:
        if getattr(layer, "activation", None) is relu:
            layer.activation = activation


def _conv(x, filters: int, activation: str, name: str, strides: int = 1):
    return layers.Conv2D(
        filters, 3, strides=strides, padding="same", activation=activation, name=name
    )(x)


def _vgg_compact(size: int, width: int, activation: str, channels: int = 3) -> keras.Model:
    """Plain 3×3 convolution stack with max pooling, VGG style."""
    inputs = keras.Input((size, size, channels))
    x = inputs
    for block, (multiple, repeats) in enumerate([(1, 2), (2, 2), (4, 2), (4, 1)]):
        for i in range(repeats):
            x = _conv(x, width * multiple, activation, f"block{block}_conv{i}")
        x = layers.MaxPooling2D(name=f"block{block}_pool")(x)
    return keras.Model(inputs, x, name="vgg_compact_backbone")


def _resnet_compact(
    size: int, width: int, activation: str, channels: int = 3, blocks_per_stage: int = 1
) -> keras.Model:
    """Pre-activation residual blocks (BatchNorm → activation → conv), ResNetV2 style."""
    inputs = keras.Input((size, size, channels))
    x = layers.Conv2D(width, 3, padding="same", name="stem")(inputs)
    for stage, multiple in enumerate([1, 2, 4]):
        for block in range(blocks_per_stage):
            strides = 2 if stage > 0 and block == 0 else 1
            name = f"stage{stage}_block{block}"
            pre = layers.Activation(activation)(layers.BatchNormalization(name=f"{name}_bn0")(x))
            shortcut = x
            if strides != 1 or x.shape[-1] != width * multiple:
                shortcut = layers.Conv2D(width * multiple, 1, strides=strides, name=f"{name}_proj")(
                    pre
                )
            y = layers.Conv2D(
                width * multiple, 3, strides=strides, padding="same", name=f"{name}_conv0"
            )(pre)
            y = layers.Activation(activation)(layers.BatchNormalization(name=f"{name}_bn1")(y))
            y = layers.Conv2D(width * multiple, 3, padding="same", name=f"{name}_conv1")(y)
            x = layers.Add(name=f"{name}_add")([shortcut, y])
    x = layers.Activation(activation)(layers.BatchNormalization(name="post_bn")(x))
    return keras.Model(inputs, x, name="resnet_compact_backbone")


def _walmsley(size: int, width: int, activation: str, channels: int = 1) -> keras.Model:
    """Walmsley et al. (2020) Fig. 3: three pairs of 3×3 convolutions, each pair followed by
    2×2 max pooling, with width, width and width/2 filters (32, 32, 16 in the paper)."""
    inputs = keras.Input((size, size, channels))
    x = inputs
    for block, filters in enumerate([width, width, max(width // 2, 1)]):
        for i in range(2):
            x = _conv(x, filters, activation, f"block{block}_conv{i}")
        x = layers.MaxPooling2D(name=f"block{block}_pool")(x)
    return keras.Model(inputs, x, name="walmsley_backbone")


def _xception_compact(size: int, width: int, activation: str, channels: int = 3) -> keras.Model:
    """Depthwise-separable convolutions with strided 1×1 residual shortcuts, Xception style."""
    inputs = keras.Input((size, size, channels))
    x = _conv(inputs, width, activation, "stem0")
    x = _conv(x, width, activation, "stem1")
    for block, multiple in enumerate([2, 4, 8]):
        shortcut = layers.Conv2D(
            width * multiple, 1, strides=2, padding="same", name=f"block{block}_proj"
        )(x)
        y = layers.SeparableConv2D(width * multiple, 3, padding="same", name=f"block{block}_sep0")(
            x
        )
        y = layers.Activation(activation)(y)
        y = layers.SeparableConv2D(width * multiple, 3, padding="same", name=f"block{block}_sep1")(
            y
        )
        y = layers.MaxPooling2D(3, strides=2, padding="same", name=f"block{block}_pool")(y)
        x = layers.Activation(activation)(layers.Add(name=f"block{block}_add")([shortcut, y]))
    return keras.Model(inputs, x, name="xception_compact_backbone")
