"""Figures of the bar stage (paper Fig. 4; Figs. 1, 3 and the appendices are panel grids)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from gzxai.core.plots import plt, save
from gzxai.core.units import HoyleLengthUnits


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

    from gzxai.core.stats import wls_through_origin

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
    save(figure, path)
