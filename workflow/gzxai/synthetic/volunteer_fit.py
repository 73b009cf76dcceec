"""The synthetic volunteers' clarity and perception concentration, fitted to real GZ2 votes.

The generator's volunteers (``gzxai.synthetic.votes``) see, per galaxy and task, an answer
distribution ρ drawn from a Dirichlet of concentration κ around
clarity · onehot(true answer) + (1 − clarity) · uniform, and vote from it. Those two numbers
decide how often volunteers disagree, which is what the vote models' calibration is measured
on, so they are fitted to real counts rather than chosen: the first question ("Smooth or
Featured", three answers) of the real GZ2 votes of the Stripe 82 coadd galaxies (Willett et al.
2013, Table 5, ``gz2_stripe82_coadd_table5.csv.gz``).

The statistic is the share of the votes the most popular answer gets, k_max / N, whose
quantiles do not depend on which answer is true, so the class mix of the real sample does not
enter. Each galaxy keeps its real N; the synthetic votes come from the generator's own
perception draw. The fit is a grid search (deterministic, seeded) minimising the RMS
difference of the 5–95% quantiles; the shipped numbers are in
``resources/synthetic_priors.json`` (``volunteers``) and in the config's
``synthetic.volunteers``. Other questions are a check, not a fit: ``question_statistics``
gives the same statistics per task for real and synthetic counts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gzxai.core.trees import load_tree
from gzxai.synthetic.votes import perceived_distribution

FIT_TASK = "t01_smooth_or_features"
MIN_VOTES = 10
QUANTILE_LEVELS = np.linspace(0.05, 0.95, 19)
CLARITY_GRID = np.round(np.linspace(0.2, 1.0, 33), 4)
CONCENTRATION_GRID = np.round(np.geomspace(0.5, 200.0, 40), 4)
#: Share of featured galaxies among the fit's synthetic truths; the statistic is symmetric in
#: the answers, so this only matters through the third answer (star), which no truth takes.
FEATURED_SHARE = 0.6
SEED = 2013


def read_task_counts(path: Path, task: str) -> np.ndarray:
    """The ``<task>_<answer>_count`` columns of a GZ2 vote table, in the tree's answer order;
    only those columns are read."""
    columns = [f"{stem}_count" for stem in load_tree().task(task).gz2_stems()]
    header = pd.read_csv(path, nrows=0).columns
    missing = [c for c in columns if c not in header]
    if missing:
        raise ValueError(f"{path}: no column {', '.join(missing)} (needed for the {task} votes)")
    table = pd.read_csv(path, usecols=columns)[columns]
    bad = table.isna().any(axis=1) | (table < 0).any(axis=1)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        raise ValueError(f"{path}, line {row}: missing or negative {task} vote count")
    return table.to_numpy(np.int64)


def top_share_quantiles(counts: np.ndarray) -> np.ndarray:
    """Quantiles (``QUANTILE_LEVELS``) of k_max / N over galaxies with N ≥ ``MIN_VOTES``."""
    n_votes = counts.sum(axis=1)
    kept = n_votes >= MIN_VOTES
    return np.quantile(counts[kept].max(axis=1) / n_votes[kept], QUANTILE_LEVELS)


def simulate_counts(
    n_votes: np.ndarray, n_answers: int, clarity: float, concentration: float, seed: int = SEED
) -> np.ndarray:
    """Synthetic counts with the generator's perception model for galaxies with these N."""
    rng = np.random.default_rng(seed)
    truth = (rng.uniform(size=len(n_votes)) < FEATURED_SHARE).astype(int)
    rho = perceived_distribution(truth, n_answers, clarity, concentration, rng)
    return rng.multinomial(n_votes, rho)


def fit(counts: np.ndarray) -> dict:
    """The grid point whose synthetic k_max / N quantiles are nearest the real ones."""
    n_votes = counts.sum(axis=1)
    n_votes = n_votes[n_votes >= MIN_VOTES]
    real = top_share_quantiles(counts)
    best = (np.inf, np.nan, np.nan)
    for clarity in CLARITY_GRID:
        for concentration in CONCENTRATION_GRID:
            synthetic = simulate_counts(n_votes, counts.shape[1], clarity, concentration)
            rms = float(np.sqrt(np.mean((top_share_quantiles(synthetic) - real) ** 2)))
            if rms < best[0]:
                best = (rms, float(clarity), float(concentration))
    rms, clarity, concentration = best
    synthetic = simulate_counts(n_votes, counts.shape[1], clarity, concentration)
    return {
        "clarity": clarity,
        "perception_concentration": concentration,
        "fit_rms": round(rms, 4),
        "task": FIT_TASK,
        "n_galaxies": len(n_votes),
        "median_votes": float(np.median(n_votes)),
        "quantile_levels": QUANTILE_LEVELS.round(4).tolist(),
        "real_top_share_quantiles": real.round(4).tolist(),
        "fitted_top_share_quantiles": top_share_quantiles(synthetic).round(4).tolist(),
    }


def derive(path: Path) -> dict:
    """The ``volunteers`` block of the shipped priors from a real GZ2 vote table."""
    return {
        "source": f"{Path(path).name} (Willett et al. 2013 Table 5), first question; "
        "derived by `python -m gzxai priors --gz2-votes`",
        **fit(read_task_counts(Path(path), FIT_TASK)),
    }


def question_statistics(counts: np.ndarray) -> dict:
    """Per task's counts: galaxies with N ≥ ``MIN_VOTES``, the median k_max / N and the share
    whose first answer's fraction lies in (0.2, 0.8)."""
    n_votes = counts.sum(axis=1)
    kept = n_votes >= MIN_VOTES
    if not kept.any():
        return {"galaxies": 0, "median_top_share": None, "intermediate_share": None}
    fraction = counts[kept, 0] / n_votes[kept]
    return {
        "galaxies": int(kept.sum()),
        "median_top_share": round(float(np.median(counts[kept].max(axis=1) / n_votes[kept])), 3),
        "intermediate_share": round(float(np.mean((fraction > 0.2) & (fraction < 0.8))), 3),
    }
