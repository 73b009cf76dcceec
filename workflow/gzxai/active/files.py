"""The active-learning stage's file edges: where each iteration reads and writes."""

from __future__ import annotations

from gzxai.active.campaign import STRATEGIES
from gzxai.core import paths

ROOT = "results/active"
FIGURES = "results/figures"
#: What one iteration writes into its folder.
ITERATION_FILES = (
    "model.keras",
    "history.csv",
    "training.json",
    "metrics.json",
    "labelled.parquet",
    "acquired.parquet",
    "evaluation.parquet",
)


def sets_file(question: str, repeat: int | str) -> str:
    return f"{ROOT}/{question}/repeat-{repeat}/sets.parquet"


def iteration_dir(question: str, strategy: str, repeat: int | str, iteration: int | str) -> str:
    return f"{ROOT}/{question}/{strategy}/repeat-{repeat}/iteration-{iteration}"


def iteration_outputs() -> dict[str, str]:
    """The iteration rule's outputs (wildcards question, strategy, repeat, iteration), named
    by file stem."""
    folder = iteration_dir("{question}", "{strategy}", "{repeat}", "{iteration}")
    return {name.split(".")[0]: f"{folder}/{name}" for name in ITERATION_FILES}


def iteration_inputs(config: dict, wildcards, truth: str | None) -> dict:
    """An iteration's inputs: the tables, shards and sets, and — after the first — the
    previous iteration's labelled list (and model, when training continues from it)."""
    question, strategy = wildcards.question, wildcards.strategy
    repeat, iteration = int(wildcards.repeat), int(wildcards.iteration)
    inputs = {
        "gz2": paths.table("gz2"),
        "images": paths.image_index("gz2"),
        "shards": paths.shard_paths(config, "gz2"),
        "sets": sets_file(question, repeat),
    }
    if iteration > 0:
        previous = iteration_dir(question, strategy, repeat, iteration - 1)
        inputs["labelled"] = f"{previous}/labelled.parquet"
        if config["active"]["warm_start"]:
            inputs["previous_model"] = f"{previous}/model.keras"
    return inputs | ({"truth": truth} if truth else {})


def campaign_files(config: dict, question: str, name: str) -> list[str]:
    """One file of every iteration of the question's campaign."""
    active = config["active"]
    return [
        f"{iteration_dir(question, strategy, repeat, iteration)}/{name}"
        for strategy in active["strategies"]
        for repeat in range(active["repeats"])
        for iteration in range(active["iterations"])
    ]


def last_bald_evaluation(config: dict, question: str) -> str:
    """The evaluation scores of the first BALD repeat's last iteration (Figs. 15–16)."""
    strategy = "bald" if "bald" in config["active"]["strategies"] else STRATEGIES[1]
    last = config["active"]["iterations"] - 1
    return f"{iteration_dir(question, strategy, 0, last)}/evaluation.parquet"


def evaluation_inputs(config: dict, question: str) -> dict:
    return {
        "gz2": paths.table("gz2"),
        "shards": paths.shard_paths(config, "gz2"),
        "metrics": campaign_files(config, question, "metrics.json"),
        "acquired": campaign_files(config, question, "acquired.parquet"),
        "evaluation": last_bald_evaluation(config, question),
    }


def summaries(config: dict) -> list[str]:
    return [f"{ROOT}/{question}/summary.json" for question in config["active"]["questions"]]
