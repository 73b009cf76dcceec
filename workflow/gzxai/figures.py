"""The papers' figures. Every figure is written atomically and closes its matplotlib state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from gzxai.io import atomic_path

MEMBER_COLOURS = ("tab:red", "tab:green", "tab:blue", "tab:purple", "tab:orange")


def _save(figure: plt.Figure, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        figure.savefig(tmp, dpi=150, bbox_inches="tight")
    plt.close(figure)


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
    _save(figure, path)


def gallery(
    images: Sequence[np.ndarray], titles: Sequence[str], path: str | Path, columns: int = 4
) -> None:
    """Images in a grid with a caption each (Fig. 5 style)."""
    rows = max(1, int(np.ceil(len(images) / columns)))
    figure, axes = plt.subplots(rows, columns, figsize=(3 * columns, 3.3 * rows), squeeze=False)
    for axis in axes.ravel():
        axis.axis("off")
    for axis, image, title in zip(axes.ravel(), images, titles, strict=False):
        axis.imshow(image)
        axis.set_title(title, fontsize=7)
    _save(figure, path)


def smooth_fraction_vs_alpha(fit, path: str | Path, injected_theta: float | None = None) -> None:
    """Observed smooth fraction in equal-count α bins with the fitted bias model."""
    from gzxai.bias import observed_smooth_fraction

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
    _save(figure, path)


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
    _save(figure, path)


def grad_cam_summary(maps: Mapping[str, Mapping[str, np.ndarray]], path: str | Path) -> None:
    """Average Grad-CAM maps per model and class, and their radial profiles (Medina Figs. 12–14)."""
    from gzxai.debias import radial_profile

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
    _save(figure, path)
