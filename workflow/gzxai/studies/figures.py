"""Figures of the workflow's own measurements."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gzxai.core.plots import plt, save


def run_times(stages: pd.DataFrame, path: str | Path) -> None:
    """Wall and CPU seconds per stage, summed over its jobs (gzxai.studies.runtimes)."""
    order = stages.sort_values("wall_s")
    figure, axis = plt.subplots(figsize=(6, 0.4 * len(order) + 1.2))
    y = np.arange(len(order))
    axis.barh(y + 0.2, order["wall_s"], height=0.4, color="tab:blue", label="wall")
    axis.barh(y - 0.2, order["cpu_s"], height=0.4, color="tab:orange", label="CPU")
    axis.set_yticks(y, order["stage"])
    axis.set_xlabel("seconds, summed over the stage's jobs")
    axis.legend(fontsize="small")
    save(figure, path)
