"""Settings of the vote-model jobs: which question each model answers, how it trains, how
many MC passes it makes and how its posteriors are judged."""

from __future__ import annotations

from dataclasses import dataclass

from gzxai.cnn.settings import TrainingSettings
from gzxai.core.config import image_geometry, merge_training
from gzxai.core.settings import Settings
from gzxai.votes.targets import BinaryQuestion

#: The binomial models, one per question, and the Dirichlet model of the whole tree.
BINOMIAL_MODELS = ("smooth", "bar")
TREE_MODEL = "tree"
VOTE_MODELS = (*BINOMIAL_MODELS, TREE_MODEL)


def questions(config: dict) -> tuple[BinaryQuestion, ...]:
    """The binary questions of ``votes.questions`` (the paper's: Smooth, N ≥ 36; Bar, N ≥ 10)."""
    return tuple(
        BinaryQuestion(name, block["task"], block["answer"], int(block["min_votes"]))
        for name, block in config["votes"]["questions"].items()
    )


def vote_training(config: dict, model: str) -> TrainingSettings:
    """A vote model's training: the Walmsley CNN with the binomial loss on one question's
    (k, N), or with the Dirichlet head on every count of the tree, and that question's views
    (the tree model takes ``votes.tree``'s)."""
    votes = config["votes"]
    crop = votes["tree"] if model == TREE_MODEL else votes["questions"][model]
    view = {**votes["view"], "zoom": crop["zoom"], "random_crop": crop["random_crop"]}
    training = merge_training(config["training"], votes["training"])
    if model == TREE_MODEL:
        training = merge_training(training, votes["tree"].get("training", {}))
    head = _tree_head(votes["tree"]) if model == TREE_MODEL else {"output": "softmax"}
    return TrainingSettings(
        model={**votes["model"], **head},
        training={
            **training,
            "augment": view,
            "loss": "dirichlet" if model == TREE_MODEL else "binomial",
        },
        seed=config["seed"],
        image_size=image_geometry(config, "gz2")["size_px"],
    )


def _tree_head(tree: dict) -> dict:
    """The Dirichlet head of ``votes.tree.concentrations``: its range and where it starts."""
    concentrations = tree["concentrations"]
    return {
        "output": "dirichlet",
        "concentration_floor": float(concentrations["floor"]),
        "concentration_scale": float(concentrations["scale"]),
        "output_start": concentrations["start"],
    }


@dataclass(frozen=True)
class TargetSettings(Settings):
    """Which galaxies a model trains on: a binary question and its cut, or the whole tree."""

    model: str
    task: str = ""
    answer: str = ""
    min_votes: int = 0

    @classmethod
    def from_config(cls, config: dict, model: str) -> TargetSettings:
        if model == TREE_MODEL:
            return cls(model)
        block = config["votes"]["questions"][model]
        return cls(model, block["task"], block["answer"], int(block["min_votes"]))

    def question(self) -> BinaryQuestion:
        return BinaryQuestion(self.model, self.task, self.answer, self.min_votes)


@dataclass(frozen=True)
class PredictionSettings(Settings):
    """MC inference: T passes, each with its own dropout mask and view, seeded."""

    passes: int
    batch_size: int
    seed: int

    @classmethod
    def from_config(cls, config: dict) -> PredictionSettings:
        votes = config["votes"]
        return cls(int(votes["mc_passes"]), int(votes["mc_batch_size"]), config["seed"])


@dataclass(frozen=True)
class EvaluationSettings(Settings):
    """The questions, the MC interval judged against the true ρ and the posterior examples."""

    questions: tuple[BinaryQuestion, ...]
    credible_interval: float
    examples: int
    seed: int

    @classmethod
    def from_config(cls, config: dict) -> EvaluationSettings:
        votes = config["votes"]
        return cls(
            questions=questions(config),
            credible_interval=float(votes["credible_interval"]),
            examples=int(votes["examples"]),
            seed=config["seed"],
        )
