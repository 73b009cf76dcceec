"""The audit's file edges: which files its two rules read."""

from __future__ import annotations

from gzxai.core import paths
from gzxai.votes.files import sample_paths
from gzxai.votes.settings import TREE_MODEL

ROOT = "results/audit"
FIGURES = "results/figures"


def rank_inputs(config: dict, truth: str | None) -> dict:
    inputs = {
        "gz2": paths.table("gz2"),
        "images": paths.image_index("gz2"),
        "split": paths.split_file("votes"),
        "samples": sample_paths(config, TREE_MODEL),
    }
    return inputs | ({"truth": truth} if truth else {})


def map_inputs(config: dict, truth: str | None) -> dict:
    inputs = {
        "model": f"results/votes/{TREE_MODEL}/model.keras",
        "shards": paths.shard_paths(config, "gz2"),
        "controls": f"{ROOT}/controls.csv",
        "ranking": f"{ROOT}/ranking.parquet",
        "rank_summary": f"{ROOT}/rank_summary.json",
    }
    return inputs | ({"truth": truth} if truth else {})


def cam_figures(config: dict) -> list[str]:
    """One CAM figure per selected galaxy (with its two controls)."""
    return [f"{FIGURES}/audit_cam_{k}.png" for k in range(1, config["audit"]["selected"] + 1)]
