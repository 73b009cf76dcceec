"""Figures of the active-learning stage (Walmsley et al. 2020 Figs. 11–16)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from gzxai.core.plots import plt, save

COLOURS = {"bald": "tab:red", "random": "tab:blue"}
PANELS = (
    ("training_loss", "training loss (eq. 6)"),
    ("evaluation_loss", "evaluation loss (eq. 6)"),
    ("rmse_vs_fraction", "RMSE of ρ̂ against k/N"),
    ("rmse_vs_true_rho", "RMSE of ρ̂ against the true ρ"),
)


def learning_curves(curves: pd.DataFrame, path: str | Path) -> None:
    """Each metric against the number of labelled galaxies: every repeat's raw values (dots),
    its LOWESS curve (thin) and the mean of the smoothed curves over repeats (thick), per
    strategy (Figs. 11–12)."""
    panels = [(k, label) for k, label in PANELS if curves[k].notna().any()]
    figure, axes = plt.subplots(len(panels), 1, figsize=(6.5, 2.4 * len(panels)), sharex=True)
    axes = np.atleast_1d(axes)
    for axis, (value, label) in zip(axes, panels, strict=True):
        for strategy, runs in curves.groupby("strategy"):
            colour = COLOURS.get(strategy, "black")
            for _, run in runs.groupby("repeat"):
                axis.plot(run["n_labelled"], run[value], ".", color=colour, alpha=0.35)
                axis.plot(run["n_labelled"], run[f"{value}_smoothed"], color=colour, lw=0.6,
                          alpha=0.5)  # fmt: skip
            mean = runs.groupby("n_labelled")[f"{value}_smoothed"].mean()
            axis.plot(mean.index, mean.to_numpy(), color=colour, lw=2, label=strategy)
        axis.set_ylabel(label, fontsize="small")
    axes[0].legend(fontsize="small")
    axes[-1].set_xlabel("labelled galaxies")
    save(figure, path)


def acquired_distributions(acquired: pd.DataFrame, path: str | Path) -> None:
    """Vote fraction k/N of the galaxies each strategy acquired, over all iterations and per
    iteration (Fig. 13), and their redshifts (Fig. 14)."""
    has_redshift = acquired["redshift"].notna().any()
    figure, axes = plt.subplots(
        1, 3 if has_redshift else 2, figsize=(12 if has_redshift else 8.5, 3.5)
    )
    bins = np.linspace(0, 1, 21)
    for strategy, rows in acquired.groupby("strategy"):
        colour = COLOURS.get(strategy, "black")
        axes[0].hist(rows["fraction"], bins=bins, histtype="step", density=True, color=colour,
                     label=strategy)  # fmt: skip
        by_iteration = rows.groupby("iteration")["fraction"]
        axes[1].plot(by_iteration.median().index, by_iteration.median().to_numpy(), "o-",
                     color=colour, label=f"{strategy}: median")  # fmt: skip
        low, high = by_iteration.quantile(0.25), by_iteration.quantile(0.75)
        axes[1].fill_between(low.index, low.to_numpy(), high.to_numpy(), color=colour, alpha=0.15)
        if has_redshift:
            axes[2].hist(rows["redshift"].dropna(), bins=20, histtype="step", density=True,
                         color=colour, label=strategy)  # fmt: skip
    axes[0].set_xlabel("vote fraction k/N of acquired galaxies")
    axes[0].set_ylabel("density")
    axes[1].set_xlabel("iteration")
    axes[1].set_ylabel("k/N (median, quartiles)")
    axes[0].legend(fontsize="small")
    if has_redshift:
        axes[2].set_xlabel("redshift of acquired galaxies")
    save(figure, path)


def informative_examples(
    evaluation: pd.DataFrame, shards: Sequence[str], number: int, path: str | Path
) -> None:
    """The most and the least informative evaluation galaxies by BALD at the last iteration
    of the first BALD repeat, with their mean ρ̂ (Figs. 15–16)."""
    from gzxai.core.arrays import read_by_id

    ranked = evaluation.sort_values("bald", ascending=False)
    number = max(1, min(number, len(ranked) // 2))
    rows = {"most informative": ranked.head(number), "least informative": ranked.tail(number)}
    figure, axes = plt.subplots(2, number, figsize=(1.8 * number, 4.2), squeeze=False)
    for r, (title, chosen) in enumerate(rows.items()):
        images = read_by_id(shards, chosen["dr7objid"].to_numpy())
        for c, (image, row) in enumerate(zip(images, chosen.itertuples(), strict=True)):
            axis = axes[r, c]
            axis.imshow(image)
            axis.set_xticks([])
            axis.set_yticks([])
            axis.set_title(f"I = {row.bald:.3f}\nρ̂ = {row.rho_mean:.2f}", fontsize="x-small")
        axes[r, 0].set_ylabel(title, fontsize="small")
    save(figure, path)


def label_saving(savings: pd.DataFrame, paper_saving: float | None, path: str | Path) -> None:
    """Newly labelled galaxies BALD needs for the RMSE random acquisition reaches with n new
    ones, per repeat, against n: below the diagonal BALD saves labels."""
    figure, axis = plt.subplots(figsize=(5, 4.5))
    top = float(savings["new_random"].max()) if len(savings) else 1.0
    grid = np.array([0.0, top])
    axis.plot(grid, grid, color="grey", linestyle=":", label="no saving")
    if paper_saving is not None:
        axis.plot(grid, (1 - paper_saving) * grid, color="black", linestyle="--", lw=0.8,
                  label=f"{100 * paper_saving:.0f}% fewer (the paper, at best)")  # fmt: skip
    for repeat, rows in savings.groupby("repeat"):
        reached = rows.dropna(subset=["new_bald"])
        axis.plot(reached["new_random"], reached["new_bald"], "o-", color=COLOURS["bald"],
                  alpha=0.5 + 0.5 / (1 + repeat), label=f"repeat {repeat}")  # fmt: skip
    axis.set_xlabel("newly labelled galaxies, random")
    axis.set_ylabel("newly labelled galaxies BALD needs for that RMSE")
    axis.legend(fontsize="small")
    save(figure, path)
