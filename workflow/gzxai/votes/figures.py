"""Figures of the vote models (Walmsley et al. 2020 Figs. 4–7)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from gzxai.core.plots import plt, save


def posterior_examples(
    images: np.ndarray,
    rho_samples: np.ndarray,
    rho_single: np.ndarray,
    n: np.ndarray,
    k: np.ndarray,
    question: str,
    path: str | Path,
) -> None:
    """Figs. 4–5: per galaxy, its image, the single network's binomial posterior and the MC
    mixture (green) over each pass's binomial (grey), with the observed k (red)."""
    rows = len(images)
    figure, axes = plt.subplots(rows, 3, figsize=(9, 2.1 * rows), squeeze=False)
    for row, axis in enumerate(axes):
        grid = np.arange(n[row] + 1)
        axis[0].imshow(images[row].mean(axis=-1), cmap="gray")
        axis[0].set_axis_off()
        axis[1].plot(grid, stats.binom.pmf(grid, n[row], rho_single[row]), color="black")
        passes = stats.binom.pmf(grid[None, :], n[row], rho_samples[row][:, None])
        axis[2].plot(grid, passes.T, color="grey", alpha=0.25, linewidth=0.7)
        axis[2].plot(grid, passes.mean(axis=0), color="tab:green", linewidth=1.8)
        for panel in axis[1:]:
            panel.axvline(k[row], color="tab:red")
            panel.set_xlim(0, n[row])
            panel.set_ylim(bottom=0)
    axes[0][1].set_title("single network")
    axes[0][2].set_title(f"MC dropout, T = {rho_samples.shape[1]}")
    axes[-1][1].set_xlabel(f"k ({question} votes of N)")
    axes[-1][2].set_xlabel(f"k ({question} votes of N)")
    save(figure, path)


def calibration_curves(curves: pd.DataFrame, path: str | Path) -> None:
    """Fig. 6: expected (with and without MC dropout) and actual counts within ε of each
    model's prediction, per question."""
    questions = list(dict.fromkeys(curves["question"]))
    figure, axes = plt.subplots(1, len(questions), figsize=(5.5 * len(questions), 4.2))
    axes = np.atleast_1d(axes)
    colours = {"binomial": "tab:green", "dirichlet": "tab:purple"}
    for axis, question in zip(axes, questions, strict=True):
        part = curves[curves["question"] == question]
        for (model, mode), group in part.groupby(["model", "mode"], sort=False):
            colour = colours.get(model, "tab:blue")
            axis.plot(
                group["epsilon"],
                group["expected"],
                color=colour,
                linestyle="-" if mode == "with_mc" else "--",
                label=f"expected: {model}, {mode.replace('_', ' ')}",
            )
            if mode == "with_mc":
                # Each model's actual count: within ε of its own prediction.
                axis.plot(group["epsilon"], group["actual"], color=colour, linestyle=":",
                          linewidth=2, label=f"actual: {model}")  # fmt: skip
        axis.set_title(question)
        axis.set_xlabel("maximum error ε (vote fraction)")
        axis.set_ylabel("galaxies within ε")
        axis.legend(fontsize="small")
    save(figure, path)


def distributions(per_question: Mapping[str, Mapping[str, np.ndarray]], path: str | Path) -> None:
    """Fig. 7: predicted against observed ρ and k, per question (and the true ρ where the
    survey knows it)."""
    figure, axes = plt.subplots(len(per_question), 2, figsize=(10, 3.6 * len(per_question)))
    axes = np.atleast_2d(axes)
    for row, (question, values) in zip(axes, per_question.items(), strict=True):
        bins = np.linspace(0, 1, 21)
        row[0].hist(values["observed_rho"], bins, histtype="step", color="black", label="k/N")
        row[0].hist(values["rho"], bins, histtype="step", color="tab:green", label="predicted ρ̂")
        if "true_rho" in values:
            row[0].hist(
                values["true_rho"], bins, histtype="step", color="tab:orange", label="true ρ"
            )
        k_bins = np.arange(0, max(values["k"].max(), values["k_hat"].max()) + 2) - 0.5
        row[1].hist(values["k"], k_bins, histtype="step", color="black", label="observed k")
        row[1].hist(values["k_hat"], k_bins, histtype="step", color="tab:green", label="k̂ = Nρ̂")
        row[0].set_xlabel(f"ρ ({question})")
        row[1].set_xlabel(f"k ({question})")
        for axis in row:
            axis.set_ylabel("galaxies")
            axis.legend(fontsize="small")
    save(figure, path)
