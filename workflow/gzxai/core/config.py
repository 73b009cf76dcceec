"""Configuration checks the JSON schema cannot express, and derived settings."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from gzxai.core.errors import ConfigError


def export_job_environment(package_dir: str | Path) -> None:
    """Environment every job inherits (local, conda, container and cluster jobs alike).

    * PYTHONPATH: jobs import the gzxai package of the workflow that planned them.
    * PATH: ``python`` in a rule is the interpreter running Snakemake (as if its virtual
      environment were activated), unless a conda environment or container puts its own
      first, as ``--use-conda`` does.
    """
    os.environ["PYTHONPATH"] = str(package_dir)
    interpreter_dir = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "").split(os.pathsep)
    if path[:1] != [interpreter_dir]:
        os.environ["PATH"] = os.pathsep.join([interpreter_dir, *path])


def image_geometry(config: dict, dataset: str) -> dict[str, int]:
    """Centre crop and final size (px) of one dataset's shards.

    Every dataset follows ``images``, except that the GZ2 shards, which only the bias
    classifiers read, take ``bias.classifier.crop_px`` / ``size_px`` where those are set
    (Medina 2023: a 207-px crop).
    """
    geometry = {"crop_px": config["images"]["crop_px"], "size_px": config["images"]["size_px"]}
    if dataset == "gz2":
        classifier = config["bias"]["classifier"]
        geometry |= {k: classifier[k] for k in geometry if classifier.get(k) is not None}
    return geometry


def check(config: dict) -> None:
    """Raise :class:`ConfigError` naming the offending key(s)."""
    for dataset, keys in (("kaggle", "images"), ("gz2", "bias.classifier (or images)")):
        geometry = image_geometry(config, dataset)
        if geometry["size_px"] > geometry["crop_px"]:
            raise ConfigError(
                f"{keys}: size_px ({geometry['size_px']}) must not exceed crop_px "
                f"({geometry['crop_px']}): the stage only shrinks images"
            )
    population = config["synthetic"]["population"]
    if population["smooth_fraction"] + population["star_fraction"] > 1:
        raise ConfigError("synthetic.population.smooth_fraction + star_fraction must be at most 1")
    for key in (
        "bulge_fraction_range",
        "bar_fraction_range",
        "bulge_sersic_range",
        "smooth_sersic_range",
    ):
        low, high = population[key]
        if low > high:
            raise ConfigError(
                f"synthetic.population.{key}: lower bound {low} above upper bound {high}"
            )
    if population["bulge_fraction_range"][1] + population["bar_fraction_range"][1] >= 1:
        raise ConfigError(
            "synthetic.population: bulge_fraction_range and bar_fraction_range upper bounds must "
            "sum to less than 1 (the disk needs the rest)"
        )
    low, high = config["synthetic"]["render"]["sky_noise_range"]
    if not 0 <= low <= high:
        raise ConfigError(
            f"synthetic.render.sky_noise_range must be 0 <= low <= high, got {[low, high]}"
        )


def source_root(config: dict) -> Path:
    """Folder that holds the source files in the real layout."""
    root = config["sources"]["root"]
    return Path(root) if root else Path("results") / "sources" / config["source"]


def merge_training(base: dict, overrides: dict) -> dict:
    """``base`` training settings with ``overrides`` merged in (one level deep)."""
    merged = {**base}
    for key, value in overrides.items():
        merged[key] = {**merged[key], **value} if isinstance(value, dict) else value
    return merged


def member_training(config: dict, member: str) -> dict:
    """Global ``training`` settings with the member's own overrides merged in."""
    return merge_training(config["training"], config["members"][member].get("training", {}))
