"""What every figure shares: the headless backend, the atomic save, panel grids."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from gzxai.core.io import atomic_path


def save(figure: plt.Figure, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        figure.savefig(tmp, dpi=150, bbox_inches="tight")
    plt.close(figure)


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
    save(figure, path)


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
    save(figure, path)
