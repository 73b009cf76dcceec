"""Data augmentation as Keras 3 layers inside the model (Bhambra et al. 2022, §4.1).

Random rotation 0–360° (reflect fill), horizontal and vertical flips, shifts of up to 5% of
the image and brightness scaling of 70–130%. The layers are active only when the model is
called with ``training=True`` (``fit``); prediction and saliency see the image unchanged.
ImageDataGenerator, which the paper's code used, no longer exists in Keras 3.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def augmentation(cfg: AugmentConfig, seed: int) -> keras.Sequential:
    """The augmentation block; each random layer gets its own seed derived from ``seed``."""
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
