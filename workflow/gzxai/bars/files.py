"""The bar stage's file edges: which files each of its rules reads (the rule file wires
them; the jobs get them as arguments)."""

from __future__ import annotations

from gzxai.core import paths

#: SmoothGrad noise-seed repetitions: the second maps the test part again (paper §4.5).
SALIENCY_RUNS = (1, 2)


def noise_levels(config: dict) -> list[str]:
    """The noise levels as the wildcard spells them."""
    return [f"{level:g}" for level in config["saliency"]["noise_levels"]]


def bar_shards(config: dict) -> list[str]:
    return [f"{shard:03d}" for shard in range(config["images"]["shards"]["bars"])]


def saliency_inputs(wildcards) -> dict[str, str]:
    """A run after the first maps the test part only: it reads the bars split."""
    inputs = {
        "model": f"results/models/{wildcards.member}/model.keras",
        "shard": f"results/images/bars/shard-{wildcards.shard}.npz",
    }
    if wildcards.run != "1":
        inputs["split"] = paths.split_file("bars")
    return inputs


def saliency_files(config: dict, run: str, shard: str) -> dict[str, str]:
    """Every member's maps of one shard at every noise level, keyed ``member@noise``."""
    return {
        f"{member}@{noise}": f"results/saliency/{member}/run-{run}/noise-{noise}/shard-{shard}.npz"
        for member in config["members"]
        for noise in noise_levels(config)
    }


def measure_inputs(config: dict, wildcards, truth: str | None) -> dict[str, str]:
    inputs = {
        "shard": f"results/images/bars/shard-{wildcards.shard}.npz",
        **saliency_files(config, wildcards.run, wildcards.shard),
    }
    if truth and wildcards.run == "1":
        inputs["truth"] = truth
    return inputs


def saliency_arguments(input) -> str:
    """``member=path`` items for ``gzxai measure``."""
    return " ".join(f"{key.split('@')[0]}={path}" for key, path in input.items() if "@" in key)


def measurement_paths(config: dict, runs) -> list[str]:
    return [
        f"results/bars/measurements/run-{run}/shard-{shard}.parquet"
        for run in ([runs] if isinstance(runs, int) else runs)
        for shard in bar_shards(config)
    ]


def evaluation_inputs(config: dict, truth: str | None) -> dict:
    inputs = {
        "measurements": measurement_paths(config, SALIENCY_RUNS),
        "selection": "results/bars/table2.csv",
        "bars": paths.table("bars"),
        "images": paths.image_index("bars"),
        "split": paths.split_file("bars"),
        "direct": "results/direct/predictions.parquet",
    }
    return inputs | ({"truth": truth} if truth else {})
