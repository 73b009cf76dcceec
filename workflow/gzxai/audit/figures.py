"""The audit's figures: the observed-fraction histograms (Su Appendix C), the CAMs of each
selected galaxy and its two controls (Su Figs. 1–3), and the sanity check's curves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gzxai.core import plots

plt = plots.plt


def histograms(observed: np.ndarray, questions: dict, balanced: list[str], path: str) -> None:
    """Observed vote fractions of every question's answers; the balanced ones (weighted
    heavier) in colour."""
    n = len(questions)
    columns = 4
    rows = int(np.ceil(n / columns))
    figure, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 2.4 * rows), squeeze=False)
    for axis in axes.ravel():
        axis.axis("off")
    for axis, (name, answers) in zip(axes.ravel(), questions.items(), strict=False):
        values = observed[:, answers]
        values = values[np.isfinite(values)]
        axis.axis("on")
        axis.hist(values, bins=20, range=(0, 1), color="tab:orange" if name in balanced else "0.5")
        axis.set_title(f"{name}{' (weighted)' if name in balanced else ''}", fontsize=8)
        axis.tick_params(labelsize=6)
    figure.supxlabel("observed vote fraction (answers of the question)")
    plots.save(figure, path)


def cam_gallery(model, images: np.ndarray, ids, row: pd.Series, score, path: Path) -> None:
    """One row per galaxy (the selected one, its observed-similar and predicted-similar
    controls): the model's view, then HiResCAM and Grad-CAM for the increase and the decrease
    of the answer's predicted fraction."""
    from gzxai.audit.stage import view_of_images
    from gzxai.explain.gradcam import activation_maps

    views = view_of_images(model, images)
    cams = {
        method: activation_maps(model, images, score, method=method)
        for method in ("hirescam", "gradcam")
    }
    roles = ("selected", "observed-similar", "predicted-similar")
    panels = []
    for k, (galaxy, role) in enumerate(zip(ids, roles, strict=True)):
        panels.append(
            [
                (
                    np.repeat(np.clip(views[k], 0, 1)[..., None], 3, axis=-1),
                    f"{role} {galaxy}\n{row['answer']}",
                )
            ]
            + [
                (cams[method][sign][k], f"{label} {arrow}")
                for method, label in (("hirescam", "HiResCAM"), ("gradcam", "Grad-CAM"))
                for sign, arrow in ((0, "increase"), (1, "decrease"))
            ]
        )
    plots.panel_grid(panels, path)


def sanity_curves(table: pd.DataFrame, path: Path) -> None:
    """Similarity of each method's maps to the trained model's, against how many layers
    (from the output down) are randomised."""
    figure, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    for axis, column in zip(axes, ("spearman", "spearman_abs", "ssim"), strict=True):
        for method, part in table.groupby("method"):
            axis.plot(part["depth"], part[column], marker="o", label=method)
        axis.set_xlabel("layers randomised (from the output)")
        axis.set_title(column.replace("_", " "))
        axis.axhline(0, color="0.8", lw=0.8)
    axes[0].legend(fontsize=8)
    plots.save(figure, path)
