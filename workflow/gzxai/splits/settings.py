"""Settings of the splits: which seed and fractions each one is drawn with."""

from __future__ import annotations

from dataclasses import dataclass

from gzxai.core.settings import Settings


@dataclass(frozen=True)
class SplitOf:
    """Whose galaxies a split file divides: a canonical table's, perhaps only those with a
    readable image."""

    table: str
    with_images: bool
    description: str


SPLITS = {
    "members": SplitOf("kaggle", True, "labelled Kaggle galaxies: the members' train/val/test"),
    "classifiers": SplitOf(
        "gz2", True, "usable GZ2 galaxies: the bias classifiers' train/val/test"
    ),
    "direct": SplitOf("bars", True, "bar galaxies: the direct CNN's train/val/test"),
    "bars": SplitOf("bars", False, "every bar galaxy: validation (Table 2) or test"),
    "votes": SplitOf("gz2", True, "imaged GZ2 galaxies: the vote models' train/val/test"),
}


@dataclass(frozen=True)
class SplitSettings(Settings):
    name: str
    seed: int
    validation_fraction: float
    test_fraction: float
    #: At most this many galaxies take part (the rest are "unused"); None: all.
    sample_size: int | None = None

    @classmethod
    def from_config(cls, config: dict, name: str) -> SplitSettings:
        if name == "bars":
            # Validation or test only: the maps come from members trained on Kaggle.
            measure = config["measure"]
            return cls(name, measure["split_seed"], measure["validation_fraction"], 0.0)
        block = {
            "members": config["splits"],
            "classifiers": config["bias"]["classifier"],
            "direct": config["direct"],
            "votes": config["votes"],
        }[name]
        return cls(
            name,
            config["seed"],
            block["validation_fraction"],
            block["test_fraction"],
            block.get("galaxies"),
        )
