"""The vote-model stage's file edges."""

from __future__ import annotations

from pathlib import Path

from gzxai.core import paths
from gzxai.votes.settings import VOTE_MODELS

FIGURES = "results/figures"


def sample_paths(config: dict, model: str) -> list[str]:
    """A model's MC samples, one file per GZ2 image shard."""
    return [
        f"results/votes/{model}/samples/{Path(shard).name}"
        for shard in paths.shard_paths(config, "gz2")
    ]


def training_inputs(config: dict) -> dict:
    return {
        "gz2": paths.table("gz2"),
        "images": paths.image_index("gz2"),
        "split": paths.split_file("votes"),
        "shards": paths.shard_paths(config, "gz2"),
    }


def evaluation_inputs(config: dict, truth: str | None) -> dict:
    inputs = {
        "gz2": paths.table("gz2"),
        "split": paths.split_file("votes"),
        "shards": paths.shard_paths(config, "gz2"),
        "samples": [p for model in VOTE_MODELS for p in sample_paths(config, model)],
    }
    return inputs | ({"truth": truth} if truth else {})


def samples_argument(config: dict) -> str:
    """``--samples`` of the evaluation: ``<model>=<file>,<file>,...`` per model."""
    return " ".join(f"{m}={','.join(sample_paths(config, m))}" for m in VOTE_MODELS)


def question_tables(config: dict, suffix: str) -> dict[str, str]:
    """Tables 1, 2, ... (``csv`` or ``md``), one per question in the config's order."""
    return {
        f"table_{name}_{suffix}": f"results/votes/table{number}_{name}.{suffix}"
        for number, name in enumerate(config["votes"]["questions"], start=1)
    }


def example_figures(config: dict) -> dict[str, str]:
    """Figs. 4, 5, ...: posterior examples, one per question."""
    return {
        f"examples_{name}": f"{FIGURES}/votes_fig{3 + number}_posteriors_{name}.png"
        for number, name in enumerate(config["votes"]["questions"], start=1)
    }
