"""Settings of the active-learning jobs. Each job gets only what its outputs depend on: an
iteration never sees the number of iterations or repeats, so a longer campaign reuses the
iterations already run, and the evaluation's smoothing reruns nothing else."""

from __future__ import annotations

from dataclasses import dataclass

from gzxai.cnn.settings import TrainingSettings
from gzxai.core.config import merge_training
from gzxai.core.settings import Settings
from gzxai.votes.settings import TargetSettings, vote_training

#: Keys a question may set for its own campaign (the paper doubles the Bar campaign's scale).
PER_QUESTION = ("initial_galaxies", "acquired_per_iteration")


def campaign_block(config: dict, question: str) -> dict:
    """``active`` with the question's own overrides (``active.questions.<question>``)."""
    active = config["active"]
    if question not in active["questions"]:
        raise KeyError(f"active.questions has no {question!r}: {sorted(active['questions'])}")
    return {**active, **(active["questions"][question] or {})}


@dataclass(frozen=True)
class SetSettings(Settings):
    """The evaluation set, the pool and a repeat's initial labelled set."""

    targets: TargetSettings
    evaluation_galaxies: int
    pool_galaxies: int | None
    initial_galaxies: int
    seed: int

    @classmethod
    def from_config(cls, config: dict, question: str) -> SetSettings:
        active = campaign_block(config, question)
        return cls(
            targets=TargetSettings.from_config(config, question),
            evaluation_galaxies=int(active["evaluation_galaxies"]),
            pool_galaxies=active["pool_galaxies"],
            initial_galaxies=int(active["initial_galaxies"]),
            seed=config["seed"],
        )


@dataclass(frozen=True)
class IterationSettings(Settings):
    """One iteration: the question's model and training, the validation share of the
    labelled galaxies, warm start, the MC passes and how many galaxies it acquires."""

    targets: TargetSettings
    training: TrainingSettings
    validation_fraction: float
    warm_start: bool
    #: Optimiser steps per iteration, whatever the labelled set's size (None: the training
    #: block's max_epochs).
    training_steps: int | None
    mc_passes: int
    mc_batch_size: int
    acquired_per_iteration: int
    seed: int

    @classmethod
    def from_config(cls, config: dict, question: str) -> IterationSettings:
        active = campaign_block(config, question)
        base = vote_training(config, question)
        training = TrainingSettings(
            model=base.model,
            training=merge_training(base.training, active["training"]),
            seed=base.seed,
            image_size=base.image_size,
        )
        return cls(
            targets=TargetSettings.from_config(config, question),
            training=training,
            validation_fraction=float(active["validation_fraction"]),
            warm_start=bool(active["warm_start"]),
            training_steps=_optional_int(active["training_steps"]),
            mc_passes=int(active["mc_passes"]),
            mc_batch_size=int(config["votes"]["mc_batch_size"]),
            acquired_per_iteration=int(active["acquired_per_iteration"]),
            seed=config["seed"],
        )


def _optional_int(value) -> int | None:
    return None if value is None else int(value)


@dataclass(frozen=True)
class EvaluationSettings(Settings):
    """The curves' smoothing and the number of most and least informative galaxies shown."""

    lowess_frac: float
    examples: int

    @classmethod
    def from_config(cls, config: dict) -> EvaluationSettings:
        active = config["active"]
        return cls(float(active["lowess_frac"]), int(active["examples"]))
