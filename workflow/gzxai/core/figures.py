"""The papers' figures. Every figure is written atomically and closes its matplotlib state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from gzxai.core.io import atomic_path
from gzxai.core.units import HoyleLengthUnits

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
    _save(figure, path)


def bar_lengths_vs_catalogue(
    saliency: pd.DataFrame,
    direct: pd.DataFrame | None,
    catalogue: pd.Series,
    catalogue_error: float,
    summary: Mapping,
    path: str | Path,
) -> None:
    """Paper Fig. 4: measured against catalogue bar lengths, WLS fit, 1:1 line, KDE contours.

    ``saliency``: test lengths (``length``, ``error``) by dr7objid; ``direct``: the direct
    CNN's predictions (``prediction``, ``split``) by dr7objid, its test split plotted.
    """
    from scipy.stats import gaussian_kde

    from gzxai.bars.evaluate import wls_through_origin

    panels = [("explainable (saliency)", saliency["length"], saliency["error"])]
    if direct is not None:
        test = direct[direct["split"] == "test"]
        panels.append(("direct CNN", test["prediction"], pd.Series(0.0, index=test.index)))
    figure, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4.6), squeeze=False)
    unit = HoyleLengthUnits(summary["units"]["catalogue"]).label
    for axis, (title, measured, error) in zip(axes[0], panels, strict=True):
        y = catalogue.loc[measured.index].to_numpy(float)
        x = measured.to_numpy(float)
        axis.errorbar(x, y, xerr=error.to_numpy(float), yerr=catalogue_error * y, fmt="o",
                      ms=2, alpha=0.35, elinewidth=0.5, color="tab:blue")  # fmt: skip
        top = float(np.nanmax([x.max(initial=1), y.max(initial=1)])) * 1.05
        if len(x) > 5 and np.ptp(x) > 0:
            with np.errstate(all="ignore"):
                kde = gaussian_kde(np.vstack([x, y]))
                gx, gy = np.meshgrid(np.linspace(0, top, 80), np.linspace(0, top, 80))
                density = kde(np.vstack([gx.ravel(), gy.ravel()])).reshape(gx.shape)
            # Contours enclosing about 90%, 50% and 10% of the galaxies.
            at_points = kde(np.vstack([x, y]))
            levels = np.unique(np.quantile(at_points, [0.1, 0.5, 0.9]))
            if len(levels) > 1:
                axis.contour(gx, gy, density, levels=levels, colors="k", linewidths=0.6)
            slope, slope_error = wls_through_origin(
                x, y, error.to_numpy(float), catalogue_error * y
            )
            axis.plot([0, top], [0, slope * top], color="tab:red",
                      label=f"WLS fit: y = ({slope:.2f} ± {slope_error:.2f}) x")  # fmt: skip
            rho = np.corrcoef(x, y)[0, 1]
            axis.set_title(f"{title}: ρ = {rho:.2f}, n = {len(x)}", fontsize=9)
        axis.plot([0, top], [0, top], color="grey", linestyle="--", label="1:1")
        axis.set_xlim(0, top)
        axis.set_ylim(0, top)
        axis.set_xlabel(f"measured bar length [{unit}]")
        axis.set_ylabel(f"catalogue bar length [{unit}]")
        axis.legend(fontsize="small", loc="upper left")
    _save(figure, path)


def panel_grid(
    rows: Sequence[Sequence[tuple[np.ndarray, str]]], path: str | Path, cmap: str = "inferno"
) -> None:
    """Rows of (image, caption) panels: RGB images as they are, 2-D maps with ``cmap``."""
    n_rows, n_cols = len(rows), max(len(r) for r in rows)
    figure, axes = plt.subplots(n_rows, n_cols, figsize=(2.4 * n_cols, 2.5 * n_rows), squeeze=False)
    for axis in axes.ravel():
        axis.axis("off")
    for axis_row, row in zip(axes, rows, strict=False):
        for axis, (image, caption) in zip(axis_row, row, strict=False):
            axis.imshow(image, cmap=None if image.ndim == 3 else cmap)
            axis.set_title(caption, fontsize=7)
    _save(figure, path)


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
    _save(figure, path)
