"""Data augmentation as Keras 3 layers inside the model: the members' (Bhambra et al. 2022,
§4.1) and the vote models' views (Walmsley et al. 2020 §2.5.3, below).

The members': random rotation 0–360° (reflect fill), horizontal and vertical flips, shifts
of up to 5% of the image and brightness scaling of 70–130%. The layers are active only when
the model is called with ``training=True`` (``fit``); prediction and saliency see the image
unchanged.
ImageDataGenerator, which the paper's code used, no longer exists in Keras 3.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import keras
from keras import layers, ops


@dataclass(frozen=True)
class AugmentConfig:
    """The ``training.augment`` block of the config."""

    rotation: bool = True
    flips: bool = True
    shift_fraction: float = 0.05
    brightness_range: tuple[float, float] = (0.7, 1.3)
    gaussian_noise: float = 0.0

    @classmethod
    def from_config(cls, block: dict) -> AugmentConfig:
        return cls(**{**block, "brightness_range": tuple(block["brightness_range"])})


@keras.saving.register_keras_serializable(package="gzxai")
class RandomBrightnessScale(layers.Layer):
    """Multiply each image by a factor drawn uniformly from [lower, upper] (training only).

    Keras' own RandomBrightness *adds* a delta; the paper (ImageDataGenerator's
    ``brightness_range``) scales. Values are clipped to [0, 1] afterwards.
    """

    def __init__(self, lower: float, upper: float, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= lower <= upper:
            raise ValueError(
                f"brightness range must satisfy 0 <= lower <= upper, got {lower}, {upper}"
            )
        self.lower, self.upper, self.seed = lower, upper, seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=False):
        if not training:
            return images
        factors = keras.random.uniform(
            (ops.shape(images)[0], 1, 1, 1), self.lower, self.upper, seed=self.seed_generator
        )
        return ops.clip(images * factors, 0.0, 1.0)

    def get_config(self) -> dict:
        return {**super().get_config(), "lower": self.lower, "upper": self.upper, "seed": self.seed}


def augmentation(cfg: AugmentConfig | ViewConfig, seed: int) -> keras.Sequential:
    """The augmentation block; each random layer gets its own seed derived from ``seed``."""
    if isinstance(cfg, ViewConfig):
        return keras.Sequential([GalaxyView(asdict(cfg), seed=seed)], name="augmentation")
    stack: list[layers.Layer] = []
    if cfg.rotation:
        # factor is a fraction of 2π: ±0.5 covers the full circle.
        stack.append(layers.RandomRotation(0.5, fill_mode="reflect", seed=seed))
    if cfg.flips:
        # Two layers: Keras 3's "horizontal_and_vertical" draws one coin per image and flips
        # both axes together (a 180° turn), never one alone.
        stack.append(layers.RandomFlip("horizontal", seed=seed + 1))
        stack.append(layers.RandomFlip("vertical", seed=seed + 5))
    if cfg.shift_fraction > 0:
        shift = cfg.shift_fraction
        stack.append(layers.RandomTranslation(shift, shift, fill_mode="reflect", seed=seed + 2))
    low, high = cfg.brightness_range
    if (low, high) != (1.0, 1.0):
        stack.append(RandomBrightnessScale(low, high, seed=seed + 3))
    if cfg.gaussian_noise > 0:
        # Noise during training at the SmoothGrad noise level makes saliency maps follow the
        # galaxy (SYNTHETIC-SURVEY-NOTES.md); 0 is the paper.
        stack.append(layers.GaussianNoise(cfg.gaussian_noise, seed=seed + 4))
    return keras.Sequential(stack, name="augmentation")


# --- Walmsley et al. (2020) §2.5.3: the views of the vote models, also at test time ------

#: Uniform draws per view: two flips, the rotation, the contrast, the zoom, the crop's x, y.
VIEW_DRAWS = 7
#: The draws of the fixed view (no flip, no turn, contrast 1, mean zoom, central crop).
CENTRAL_DRAWS = (1.0, 1.0, 0.0, 0.5, 0.5, 0.5, 0.5)


@dataclass(frozen=True)
class ViewConfig:
    """The views of Walmsley et al. (2020) §2.5.3: greyscale; random flips; a rotation of
    0 … ``rotation_deg`` (nearest neighbour); contrast scaled by a factor in ``contrast``; a
    crop of 1/zoom of the image, zoom uniform in ``zoom``, at a random position
    (``random_crop``) or central; resized to ``size_px``."""

    size_px: int
    zoom: tuple[float, float]
    random_crop: bool
    rotation_deg: float = 90.0
    contrast: tuple[float, float] = (0.98, 1.02)
    flips: bool = True

    @classmethod
    def from_config(cls, block: dict) -> ViewConfig:
        return cls(
            size_px=int(block["size_px"]),
            zoom=tuple(float(z) for z in block["zoom"]),
            random_crop=bool(block["random_crop"]),
            rotation_deg=float(block.get("rotation_deg", 90.0)),
            contrast=tuple(float(c) for c in block.get("contrast", (0.98, 1.02))),
            flips=bool(block.get("flips", True)),
        )


def augment_from_config(block: dict) -> AugmentConfig | ViewConfig:
    """A training block's ``augment``: Walmsley's views where it names a zoom, else the
    members' augmentation."""
    return ViewConfig.from_config(block) if "zoom" in block else AugmentConfig.from_config(block)


def galaxy_views(images, draws, cfg: ViewConfig):
    """One view of each image (B × H × W × C in [0, 1]) from its uniform draws (B × 7).

    A pure function of its inputs, so test-time views are reproducible from the draws alone.
    Greyscale comes first (the rest then moves one channel). The flips, the rotation, the crop
    and the resize are one map from view pixels to image pixels, applied in one bilinear
    resample at the view's size (reflecting at the edges): the paper turns with nearest
    neighbours and then resizes, two interpolations where this makes one, at a third of the
    cost. The contrast, linear in the pixel values, is applied after it about the mean of the
    whole image.
    """
    import tensorflow as tf

    images = tf.reduce_mean(tf.convert_to_tensor(images, tf.float32), axis=-1, keepdims=True)
    draws = tf.convert_to_tensor(draws, tf.float32)
    mean = tf.reduce_mean(images, axis=(1, 2), keepdims=True)
    views = tf.raw_ops.ImageProjectiveTransformV3(
        images=images,
        transforms=_view_transforms(draws, tf.shape(images), cfg),
        output_shape=tf.constant([cfg.size_px, cfg.size_px]),
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="REFLECT",
    )
    low, high = cfg.contrast
    factor = (low + (high - low) * draws[:, 3])[:, None, None, None]
    return (views - mean) * factor + mean


def _view_transforms(draws, shape, cfg: ViewConfig):
    """Projective transforms (B × 8) from view pixels to image pixels: the crop (side 1/zoom,
    random or central) scaled to the view's size, then the inverse rotation about the image
    centre, then the flips."""
    import tensorflow as tf

    width, height = tf.cast(shape[2], tf.float32) - 1, tf.cast(shape[1], tf.float32) - 1
    low, high = cfg.zoom
    side = 1.0 / (low + (high - low) * draws[:, 4])
    slack = 1.0 - side
    x0, y0 = (slack * draws[:, 5], slack * draws[:, 6]) if cfg.random_crop else (slack / 2,) * 2
    step = side / max(cfg.size_px - 1, 1)
    ones, zeros = tf.ones_like(side), tf.zeros_like(side)
    # View pixel (u, v) → rotated-image pixel (x0·W + u·step·W, y0·H + v·step·H).
    crop = _matrices(step * width, zeros, x0 * width, zeros, step * height, y0 * height)
    angle = draws[:, 2] * cfg.rotation_deg * (3.141592653589793 / 180.0)
    cos, sin = tf.cos(angle), tf.sin(angle)
    cx, cy = width / 2, height / 2
    rotate = _matrices(cos, -sin, cx - cos * cx + sin * cy, sin, cos, cy - sin * cx - cos * cy)
    transform = rotate @ crop
    if cfg.flips:
        flip_x = tf.where(draws[:, 0] < 0.5, -ones, ones)
        flip_y = tf.where(draws[:, 1] < 0.5, -ones, ones)
        flip = _matrices(flip_x, zeros, (1 - flip_x) / 2 * width, zeros, flip_y,
                         (1 - flip_y) / 2 * height)  # fmt: skip
        transform = flip @ transform
    return tf.reshape(transform, (-1, 9))[:, :8]


def _matrices(a0, a1, a2, b0, b1, b2):
    """B × 3 × 3 affine matrices [[a0, a1, a2], [b0, b1, b2], [0, 0, 1]]."""
    import tensorflow as tf

    zeros, ones = tf.zeros_like(a0), tf.ones_like(a0)
    rows = [tf.stack(r, axis=1) for r in ((a0, a1, a2), (b0, b1, b2), (zeros, zeros, ones))]
    return tf.stack(rows, axis=1)


@keras.saving.register_keras_serializable(package="gzxai")
class GalaxyView(layers.Layer):
    """:func:`galaxy_views` as the first layer of a vote model: random views in training,
    the central view otherwise (MC inference draws its own, see :mod:`gzxai.votes.mc`)."""

    def __init__(self, view: dict, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.view, self.seed = dict(view), seed
        self.cfg = ViewConfig.from_config(self.view)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=False):
        batch = ops.shape(images)[0]
        if training:
            draws = keras.random.uniform((batch, VIEW_DRAWS), seed=self.seed_generator)
        else:
            draws = ops.tile(ops.convert_to_tensor([CENTRAL_DRAWS], "float32"), (batch, 1))
        return galaxy_views(images, draws, self.cfg)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.cfg.size_px, self.cfg.size_px, 1)

    def get_config(self) -> dict:
        return {**super().get_config(), "view": self.view, "seed": self.seed}
