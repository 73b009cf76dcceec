"""Figures of the resolution-bias stage (Medina Figs. 10, 12–14 and the bias fit)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from gzxai.core.plots import plt, save


def smooth_fraction_vs_alpha(fit, path: str | Path, injected_theta: float | None = None) -> None:
    """Observed smooth fraction in equal-count α bins with the fitted bias model."""
    from gzxai.bias.resolution import observed_smooth_fraction

    figure, axis = plt.subplots(figsize=(6, 4))
    error = np.sqrt(fit.smooth_fraction * (1 - fit.smooth_fraction) / fit.counts)
    axis.errorbar(fit.alpha_centre, fit.smooth_fraction, yerr=error, fmt="o", ms=3, label="labels")
    grid = np.linspace(0, fit.alpha_centre.max(), 300)
    label = f"fit: θ = {fit.theta:.1f} ± {fit.theta_std:.1f}, f_s = {fit.f_s:.2f}"
    axis.plot(
        grid, observed_smooth_fraction(grid, fit.f_s, fit.theta), color="tab:red", label=label
    )
    if injected_theta is not None:
        axis.plot(grid, observed_smooth_fraction(grid, fit.f_s, injected_theta), color="grey",
                  linestyle=":", label=f"injected θ = {injected_theta:g}")  # fmt: skip
    axis.axhline(fit.f_s, color="tab:red", linestyle="--", linewidth=0.8)
    axis.set_xlabel("α (Petrosian radius / PSF σ)")
    axis.set_ylabel("smooth fraction")
    axis.set_ylim(0, 1)
    axis.legend(fontsize="small")
    save(figure, path)


def cumulative_sersic(samples: Mapping[str, np.ndarray], path: str | Path) -> None:
    """Cumulative Sérsic-n distributions of the galaxies each set calls smooth (Medina Fig. 10)."""
    figure, axis = plt.subplots(figsize=(6, 4))
    for name, values in samples.items():
        values = np.sort(np.asarray(values, float))
        axis.step(
            values,
            np.arange(1, len(values) + 1) / max(len(values), 1),
            where="post",
            label=f"{name} ({len(values)})",
        )
    axis.axvline(3.0, color="grey", linestyle=":", linewidth=0.8)
    axis.set_xlabel("Sérsic index n (true)")
    axis.set_ylabel("cumulative fraction of galaxies called smooth")
    axis.legend(fontsize="small")
    save(figure, path)


def grad_cam_summary(maps: Mapping[str, Mapping[str, np.ndarray]], path: str | Path) -> None:
    """Average Grad-CAM maps per model and class, and their radial profiles (Medina Figs. 12–14)."""
    from gzxai.bias.classifier import radial_profile

    models = list(maps)
    figure, axes = plt.subplots(
        2, len(models) + 1, figsize=(3.2 * (len(models) + 1), 6.4), squeeze=False
    )
    for row, cls in enumerate(("disk", "smooth")):
        profile_axis = axes[row, -1]
        for col, model in enumerate(models):
            average = maps[model][cls]
            axes[row, col].imshow(average, cmap="viridis")
            axes[row, col].set_title(f"{model}: {cls}", fontsize=9)
            axes[row, col].axis("off")
            radius, profile = radial_profile(average)
            profile_axis.plot(radius, profile, label=model)
        profile_axis.set_xlabel("radius (px)")
        profile_axis.set_ylabel(f"mean Grad-CAM, {cls}")
        profile_axis.legend(fontsize="small")
    save(figure, path)


def disks_called_smooth(
    table: pd.DataFrame, injected_theta: float, fitted_theta: float | None, path: str | Path
) -> None:
    """Fraction of the true disks each labelling calls smooth, per α bin, with bootstrap
    intervals, beside the injected bias p(smooth | disk, α) = exp(−α²/2θ²)."""
    from gzxai.bias.resolution import flip_probability

    figure, axis = plt.subplots(figsize=(6.5, 4))
    groups = list(table.groupby("labelling", sort=False))
    # Labellings side by side within a bin: a small multiplicative offset in α.
    for k, (name, rows) in enumerate(groups):
        x = rows["alpha_median"].to_numpy() * (1 + 0.012 * (k - (len(groups) - 1) / 2))
        y = rows["smooth_fraction"].to_numpy()
        error = [y - rows["low"].to_numpy(), rows["high"].to_numpy() - y]
        axis.errorbar(x, y, yerr=error, fmt="o-", ms=3, capsize=2, label=name)
    grid = np.linspace(0.0, float(table["alpha_median"].max()) * 1.05, 300)
    axis.plot(grid, flip_probability(grid, injected_theta), color="black", linestyle=":",
              label=f"injected exp(−α²/2θ²), θ = {injected_theta:g}")  # fmt: skip
    if fitted_theta is not None:
        axis.plot(grid, flip_probability(grid, fitted_theta), color="grey", linestyle="--",
                  linewidth=0.8, label=f"fitted θ = {fitted_theta:.2f}")  # fmt: skip
    axis.set_xlabel("α (Petrosian radius / PSF σ), median of the bin")
    axis.set_ylabel("true disks called smooth")
    axis.set_ylim(-0.02, 1.02)
    axis.legend(fontsize="small")
    save(figure, path)
