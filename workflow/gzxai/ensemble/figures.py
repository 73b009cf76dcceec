"""Figures of the ensemble stage (paper Fig. 2)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from gzxai.core.plots import plt, save

MEMBER_COLOURS = ("tab:red", "tab:green", "tab:blue", "tab:purple", "tab:orange")


def learning_curves(histories: Mapping[str, pd.DataFrame], path: str | Path) -> None:
    """Training (solid) and validation (dashed) RMSE per epoch for each member (paper Fig. 2)."""
    figure, axis = plt.subplots(figsize=(6, 4))
    for colour, (name, history) in zip(MEMBER_COLOURS, histories.items(), strict=False):
        epochs = history["epoch"] + 1
        axis.plot(epochs, history["rmse"], color=colour, label=f"{name} train")
        axis.plot(
            epochs, history["val_rmse"], color=colour, linestyle="--", label=f"{name} validation"
        )
    axis.set_xlabel("epoch")
    axis.set_ylabel("RMSE")
    axis.legend(fontsize="small")
    save(figure, path)
