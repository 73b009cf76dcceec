"""Settings of the bar stage's jobs. Each job gets only what its output depends on: a new
measurement grid reruns the measurements, never SmoothGrad; a new bootstrap count reruns the
evaluation, not Table 2."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gzxai.bars.units import Conventions
from gzxai.cnn.settings import TrainingSettings
from gzxai.core.settings import Settings


def conventions(config: dict) -> Conventions:
    """The unit conventions and image geometry the lengths are converted with."""
    conv = config["conventions"]
    return Conventions(
        saliency_length_units=conv["saliency_length_units"],
        hoyle_length_units=conv["hoyle_length_units"],
        h0=float(conv["cosmology"]["h0"]),
        omega_m=float(conv["cosmology"]["omega_m"]),
        size_px=int(config["images"]["size_px"]),
        crop_px=int(config["images"]["crop_px"]),
        length_scaled=conv["length_scaled"],
    )


@dataclass(frozen=True)
class SaliencySettings(Settings):
    """SmoothGrad's settings (the noise level is the job's wildcard)."""

    seed: int
    target: str
    n_samples: int
    chunk: int

    @classmethod
    def from_config(cls, config: dict) -> SaliencySettings:
        saliency = config["saliency"]
        return cls(config["seed"], saliency["target"], saliency["n_samples"], saliency["chunk"])


@dataclass(frozen=True)
class MeasureSettings(Settings):
    seed: int
    grid: Grid

    @classmethod
    def from_config(cls, config: dict) -> MeasureSettings:
        return cls(config["seed"], Grid.from_config(config["measure"]))


@dataclass(frozen=True)
class SelectSettings(Settings):
    conventions: Conventions

    @classmethod
    def from_config(cls, config: dict) -> SelectSettings:
        return cls(conventions(config))


@dataclass(frozen=True)
class EvaluationSettings(Settings):
    seed: int
    conventions: Conventions
    bootstrap: int
    catalogue_error: float

    @classmethod
    def from_config(cls, config: dict) -> EvaluationSettings:
        measure = config["measure"]
        return cls(
            config["seed"], conventions(config), measure["bootstrap"], measure["catalogue_error"]
        )


@dataclass(frozen=True)
class FigureSettings(Settings):
    saliency: SaliencySettings
    figure_targets: dict
    examples: int
    hoyle_length_units: str

    @classmethod
    def from_config(cls, config: dict) -> FigureSettings:
        return cls(
            SaliencySettings.from_config(config),
            config["saliency"]["figure_targets"],
            config["measure"]["examples"],
            config["conventions"]["hoyle_length_units"],
        )


@dataclass(frozen=True)
class DirectSettings(Settings):
    """The direct CNN: its training, and the conventions its predictions are converted with."""

    training: TrainingSettings
    conventions: Conventions

    @classmethod
    def from_config(cls, config: dict) -> DirectSettings:
        return cls(TrainingSettings.direct(config), conventions(config))


@dataclass(frozen=True)
class Grid:
    """The measurement hyperparameters (``measure`` in the config)."""

    t_corr: tuple[float, ...]
    t_len: tuple[int, ...]
    rules: tuple[str, ...]
    x_input: tuple[bool, ...]

    @classmethod
    def from_config(cls, block: Mapping) -> Grid:
        return cls(
            t_corr=tuple(float(v) for v in block["t_corr"]),
            t_len=tuple(int(v) for v in block["t_len"]),
            rules=tuple(block["rules"]),
            x_input=tuple(bool(v) for v in block["x_input"]),
        )
