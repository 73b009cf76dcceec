"""The audit checked against what the synthetic survey knows.

- Is the top of the disagreement ranking enriched in galaxies whose labels the generator made
  hard (few votes, disks the resolution bias turned smooth, mergers), against their base rate
  among all ranked galaxies?
- How much of a map lies on the true bar: the pointing game (is the map's maximum on the bar?)
  and the share of the map's mass inside the bar's mask, beside the mask's share of the image
  (what a map spread evenly would score).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

#: The bar profile exp(−(u/L)⁴ − (v/W)²) falls to e⁻¹ of its peak at the bar's end (u = L)
#: and across it at v = W: the mask is where the noiseless bar is above that.
BAR_MASK_LEVEL = float(np.exp(-1.0))


def enrichment(
    ranked_ids: np.ndarray, flags: pd.DataFrame, top_k: int, confidence: float = 0.95
) -> pd.DataFrame:
    """Per flag (a boolean column of ``flags``, indexed by galaxy id): its rate among all
    ranked galaxies and among the ``top_k`` first, their ratio, the exact binomial
    (Clopper–Pearson) interval of the top rate and the one-sided p-value of seeing that many
    flagged galaxies in the top if they were drawn at the base rate."""
    flags = flags.loc[np.asarray(ranked_ids)].astype(bool)
    top = flags.iloc[:top_k]
    rows = []
    for name in flags.columns:
        base = float(flags[name].mean())
        count = int(top[name].sum())
        test = stats.binomtest(count, len(top), base, alternative="greater")
        interval = stats.binomtest(count, len(top)).proportion_ci(confidence)  # two-sided
        rows.append(
            {
                "flag": name,
                "ranked": len(flags),
                "base_rate": base,
                "top_k": len(top),
                "top_count": count,
                "top_rate": count / len(top) if len(top) else float("nan"),
                "top_rate_low": interval.low,
                "top_rate_high": interval.high,
                "enrichment": (count / len(top)) / base if base > 0 and len(top) else float("nan"),
                "p_value": test.pvalue,
            }
        )
    return pd.DataFrame(rows)


def bar_masks(oracle_maps: np.ndarray, level: float = BAR_MASK_LEVEL) -> np.ndarray:
    """Boolean masks of the true bar from its noiseless maps (each scaled to a peak of 1)."""
    peaks = oracle_maps.max(axis=(1, 2), keepdims=True)
    return oracle_maps >= level * np.where(peaks > 0, peaks, np.inf)


def mask_scores(maps: np.ndarray, masks: np.ndarray) -> pd.DataFrame:
    """Per map: ``pointing_game`` (its maximum lies in the mask), ``mass_in_mask`` (its share
    of the map's total) and ``mask_area`` (the mask's share of the image: the mass an even
    map would have there). Maps with no mass or masks with no pixel give NaN."""
    n = len(maps)
    flat_maps = np.clip(np.asarray(maps, np.float64).reshape(n, -1), 0, None)
    flat_masks = np.asarray(masks, bool).reshape(n, -1)
    total = flat_maps.sum(axis=1)
    has = (total > 0) & flat_masks.any(axis=1)
    peak = flat_masks[np.arange(n), flat_maps.argmax(axis=1)]
    inside = (flat_maps * flat_masks).sum(axis=1)
    return pd.DataFrame(
        {
            "pointing_game": np.where(has, peak.astype(float), np.nan),
            "mass_in_mask": np.where(has, inside / np.where(total > 0, total, 1), np.nan),
            "mask_area": flat_masks.mean(axis=1),
        }
    )
