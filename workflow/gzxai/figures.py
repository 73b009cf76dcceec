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
