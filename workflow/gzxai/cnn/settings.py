"""Settings of a training run: the members, the bias classifiers and the direct CNN all
train through :func:`gzxai.cnn.cli.fit` with these."""

from __future__ import annotations

from dataclasses import dataclass

from gzxai.core.config import image_geometry, member_training, merge_training
from gzxai.core.settings import Settings


@dataclass(frozen=True)
class TrainingSettings(Settings):
    """A model (``members.<name>``-style block), its merged training block, the seed and the
    input size: everything a trained model depends on besides its data."""

    model: dict
    training: dict
    seed: int
    image_size: int

    @classmethod
    def member(cls, config: dict, member: str) -> TrainingSettings:
        """A member's settings: changing another member's retrains only that one."""
        return cls(
            model=config["members"][member],
            training=member_training(config, member),
            seed=config["seed"],
            image_size=config["images"]["size_px"],
        )

    @classmethod
    def classifier(cls, config: dict) -> TrainingSettings:
        """The bias classifiers' settings (both kinds; the loss is the debiased likelihood)."""
        classifier = config["bias"]["classifier"]
        training = merge_training(config["training"], classifier["training"])
        return cls(
            model=classifier["model"],
            training={**training, "loss": "debiased"},
            seed=config["seed"],
            image_size=image_geometry(config, "gz2")["size_px"],
        )

    @classmethod
    def direct(cls, config: dict) -> TrainingSettings:
        direct = config["direct"]
        return cls(
            model=direct["model"],
            training=merge_training(config["training"], direct["training"]),
            seed=config["seed"],
            image_size=config["images"]["size_px"],
        )
