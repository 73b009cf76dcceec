"""Oracle views of the synthetic truth: a galaxy's noiseless components rendered alone and
cropped and resized exactly like the images the CNNs see (the bar stage's ``oracle`` method
and the audit's bar masks)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def oracle_maps(truth: pd.DataFrame, seed: int, crop_px: int, size_px: int) -> np.ndarray:
    """The noiseless bar component of each galaxy, cropped and resized like the images.

    ``truth`` rows (synthetic survey only) carry every render parameter; galaxies without a
    bar get an empty map (length 0).
    """
    from gzxai.sources.images import crop_and_resize
    from gzxai.synthetic.render import render

    out = np.zeros((len(truth), size_px, size_px), np.float32)
    for k in range(len(truth)):
        row = truth.iloc[[k]]
        if not bool(row["has_bar"].iloc[0]):
            continue
        plane = render(row, seed, components=["bar"], psf=False)[0].sum(axis=-1)
        peak = plane.max()
        if peak > 0:
            as_uint8 = np.round(255 * plane / peak).astype(np.uint8)
            out[k] = crop_and_resize(as_uint8, crop_px, size_px) / 255.0
    return out
