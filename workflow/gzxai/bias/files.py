"""The resolution-bias stage's file edges: which files each of its rules reads."""

from __future__ import annotations

from gzxai.core import paths


def bias_inputs(truth: str | None) -> dict[str, str]:
    """The θ fit and the label metrics read the GZ2 table (and the truth where known)."""
    return {"gz2": paths.table("gz2"), **({"truth": truth} if truth else {})}


def classifier_inputs(config: dict, kind: str) -> dict:
    """The naive classifier does not depend on θ: a new fit retrains the debiased one only."""
    inputs = {
        "gz2": paths.table("gz2"),
        "images": paths.image_index("gz2"),
        "split": paths.split_file("classifiers"),
        "shards": paths.shard_paths(config, "gz2"),
    }
    if kind == "debiased":
        inputs["theta"] = "results/bias/theta.json"
    return inputs
