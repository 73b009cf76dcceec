"""Settings of the resolution-bias stage's jobs: the θ fit, the labels' CV metrics and the
classifiers' evaluation each get only their own, so that no other setting refits θ (which
retrains the debiased classifier)."""

from __future__ import annotations

from dataclasses import dataclass

from gzxai.core.settings import Settings


@dataclass(frozen=True)
class Cv18Settings(Settings):
    """Medina's CV18: intrinsic-property splits, α bins, bootstrap draws."""

    intrinsic_splits: int
    alpha_bins: int
    bootstrap: int

    @classmethod
    def from_config(cls, config: dict) -> Cv18Settings:
        return cls(**config["bias"]["cv18"])


@dataclass(frozen=True)
class ThetaSettings(Settings):
    seed: int
    galaxies_per_bin: int
    alpha_centre: str
    bootstrap: int

    @classmethod
    def from_config(cls, config: dict) -> ThetaSettings:
        bias = config["bias"]
        return cls(
            seed=config["seed"],
            galaxies_per_bin=bias["galaxies_per_bin"],
            alpha_centre=bias["alpha_centre"],
            bootstrap=bias["bootstrap"],
        )


@dataclass(frozen=True)
class LabelBiasSettings(Settings):
    seed: int
    galaxies_per_bin: int
    cv18: Cv18Settings

    @classmethod
    def from_config(cls, config: dict) -> LabelBiasSettings:
        return cls(
            config["seed"], config["bias"]["galaxies_per_bin"], Cv18Settings.from_config(config)
        )


@dataclass(frozen=True)
class VerdictSettings(Settings):
    """Medina's claims against the truth: α bins of the figure, bootstrap draws, and the
    smooth fraction of poorly resolved true disks that counts as "close to zero"."""

    alpha_bins: int
    bootstrap: int
    close_to_zero: float

    @classmethod
    def from_config(cls, config: dict) -> VerdictSettings:
        return cls(**config["bias"]["verdict"])


@dataclass(frozen=True)
class EvaluationSettings(Settings):
    """The classifiers' evaluation: a new CV18 or verdict setting re-evaluates without
    retraining."""

    seed: int
    cv18: Cv18Settings
    verdict: VerdictSettings

    @classmethod
    def from_config(cls, config: dict) -> EvaluationSettings:
        return cls(
            config["seed"], Cv18Settings.from_config(config), VerdictSettings.from_config(config)
        )
