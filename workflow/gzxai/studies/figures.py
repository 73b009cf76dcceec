"""Figures of the workflow's own measurements."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gzxai.core.plots import plt, save


def run_times(stages: pd.DataFrame, path: str | Path) -> None:
    """Wall and CPU seconds per stage, summed over its jobs, and the time its jobs took
    with those that ran side by side counted once (gzxai.studies.runtimes)."""
    order = stages.sort_values("wall_s")
    figure, axis = plt.subplots(figsize=(6, 0.55 * len(order) + 1.2))
    y = np.arange(len(order))
    axis.barh(y + 0.27, order["wall_s"], height=0.27, color="tab:blue", label="wall, summed")
    axis.barh(y, order["cpu_s"], height=0.27, color="tab:orange", label="CPU, summed")
    if "elapsed_s" in order:
        axis.barh(y - 0.27, order["elapsed_s"], height=0.27, color="tab:green",
                  label="elapsed (side by side once)")  # fmt: skip
    axis.set_yticks(y, order["stage"])
    axis.set_xlabel("seconds")
    axis.legend(fontsize="small")
    save(figure, path)
