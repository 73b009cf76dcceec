"""The simulated Galaxy Zoo campaign (Walmsley et al. 2020 §3.4): pure functions on ids,
scores and vote counts.

A fixed evaluation set is never acquired. Each repeat starts both strategies from the same
random initial set; every iteration trains on the labelled galaxies, scores the unlabelled pool
and acquires n of it — the n of highest BALD, or n at random — whose votes (already in the
table: the "oracle") join the labelled set. Every draw is keyed to (seed, repeat, iteration),
so a rerun of any iteration draws the same galaxies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.nonparametric.smoothers_lowess import lowess

STRATEGIES = ("bald", "random")
EVALUATION, INITIAL = "evaluation", "initial"
#: Sub-streams of the campaign's draws.
_EVALUATION_STREAM, _INITIAL_STREAM, _RANDOM_STREAM, _POOL_STREAM = 31, 32, 33, 34


def evaluation_set(ids: np.ndarray, size: int, seed: int) -> np.ndarray:
    """The evaluation galaxies (sorted ids), the same in every repeat and strategy."""
    ids = np.sort(np.asarray(ids, np.int64))
    if size >= len(ids):
        raise ValueError(
            f"{size} evaluation galaxies asked of {len(ids)}: none would be left to label"
        )
    chosen = np.random.default_rng([seed, _EVALUATION_STREAM]).choice(ids, size, replace=False)
    return np.sort(chosen)


def pool_of(ids: np.ndarray, evaluation: np.ndarray, size: int | None, seed: int) -> np.ndarray:
    """The galaxies that may be labelled (sorted): every one outside the evaluation set, or a
    seeded subset of ``size`` of them."""
    pool = np.setdiff1d(np.asarray(ids, np.int64), evaluation)
    if size is not None and size < len(pool):
        pool = np.random.default_rng([seed, _POOL_STREAM]).choice(pool, size, replace=False)
    return np.sort(pool)


def initial_set(pool: np.ndarray, size: int, seed: int, repeat: int) -> np.ndarray:
    """A repeat's random initial labelled set, shared by both strategies (sorted ids)."""
    if size > len(pool):
        raise ValueError(f"{size} initial galaxies asked of a pool of {len(pool)}")
    rng = np.random.default_rng([seed, _INITIAL_STREAM, repeat])
    return np.sort(rng.choice(pool, size, replace=False))


def acquire(
    strategy: str,
    unlabelled: np.ndarray,
    scores: np.ndarray | None,
    n: int,
    *,
    seed: int,
    repeat: int,
    iteration: int,
) -> np.ndarray:
    """The ``n`` unlabelled galaxies to label next: highest BALD first (ties by id), or a
    seeded random draw. Fewer only when fewer are left."""
    unlabelled = np.asarray(unlabelled, np.int64)
    n = min(int(n), len(unlabelled))
    if strategy == "bald":
        if scores is None or len(scores) != len(unlabelled):
            raise ValueError("BALD acquisition needs one score per unlabelled galaxy")
        order = np.lexsort((unlabelled, -np.asarray(scores, float)))
        return unlabelled[order[:n]]
    if strategy == "random":
        rng = np.random.default_rng([seed, _RANDOM_STREAM, repeat, iteration])
        return rng.choice(unlabelled, n, replace=False)
    raise ValueError(f"unknown acquisition strategy {strategy!r}; choose from {STRATEGIES}")


@dataclass(frozen=True)
class Scores:
    """How well ρ̂ (the mean of the MC samples) predicts the evaluation set's votes."""

    loss: float
    rmse_vs_fraction: float
    rmse_vs_true_rho: float | None

    def as_dict(self) -> dict[str, float | None]:
        return {
            "evaluation_loss": self.loss,
            "rmse_vs_fraction": self.rmse_vs_fraction,
            "rmse_vs_true_rho": self.rmse_vs_true_rho,
        }


def epochs_for_steps(steps: int, n_train: int, batch_size: int) -> int:
    """The epochs that give at least ``steps`` optimiser steps on ``n_train`` galaxies in
    batches of ``batch_size`` (the last batch of an epoch may be short)."""
    if n_train < 1:
        raise ValueError("no training galaxies")
    steps_per_epoch = -(-n_train // batch_size)
    return max(1, -(-steps // steps_per_epoch))


def evaluation_scores(
    rho_samples: np.ndarray, k: np.ndarray, n: np.ndarray, true_rho: np.ndarray | None = None
) -> Scores:
    """The evaluation loss (eq. 6 with the MC posterior: −log ⟨Bin(k | ρ̂_t, N)⟩_t, mean over
    galaxies, constant included) and the RMSE of the mean ρ̂ against k/N and the true ρ."""
    rho_samples = np.atleast_2d(np.asarray(rho_samples, float))
    k, n = np.asarray(k, np.int64), np.asarray(n, np.int64)
    log_pmf = stats.binom.logpmf(k[:, None], n[:, None], rho_samples)
    passes = rho_samples.shape[1]
    loss = -np.mean(np.logaddexp.reduce(log_pmf, axis=1) - np.log(passes))
    mean = rho_samples.mean(axis=1)
    rmse = float(np.sqrt(np.mean((mean - k / n) ** 2)))
    truth = None if true_rho is None else float(np.sqrt(np.mean((mean - true_rho) ** 2)))
    return Scores(float(loss), rmse, truth)


def smoothed(curve: pd.DataFrame, value: str, frac: float) -> np.ndarray:
    """LOWESS of ``value`` against the number of labelled galaxies (statsmodels), on the
    curve's own points; a curve of fewer than three points is returned as it is."""
    x, y = curve["n_labelled"].to_numpy(float), curve[value].to_numpy(float)
    if len(curve) < 3:
        return y
    fitted = lowess(y, x, frac=frac, it=0, return_sorted=False)
    return np.asarray(fitted, float)


def first_reaching(n_labelled: np.ndarray, values: np.ndarray, target: float) -> float | None:
    """The (linearly interpolated) number of labelled galaxies at which a decreasing curve
    first reaches ``target``; None if it never does."""
    below = np.flatnonzero(values <= target)
    if not len(below):
        return None
    i = below[0]
    if i == 0:
        return float(n_labelled[0])
    x0, x1, y0, y1 = n_labelled[i - 1], n_labelled[i], values[i - 1], values[i]
    return float(x0 + (target - y0) * (x1 - x0) / (y1 - y0))


def label_saving(curves: pd.DataFrame, value: str = "rmse_smoothed") -> pd.DataFrame:
    """Per repeat and per iteration j of random acquisition: the newly labelled galaxies
    (beyond the initial set) BALD needs to reach the RMSE random reaches with n_j new ones,
    and the saving 1 − n_BALD / n_j (None where BALD never reaches it in the campaign). The
    paper quotes the best saving over j (§3.6: "at best ∼60 per cent fewer")."""
    rows = []
    for repeat, runs in curves.groupby("repeat"):
        random = runs[runs["strategy"] == "random"].sort_values("n_labelled")
        bald = runs[runs["strategy"] == "bald"].sort_values("n_labelled")
        if random.empty or bald.empty:
            continue
        initial = float(random["n_labelled"].iloc[0])
        bald_new = bald["n_labelled"].to_numpy(float) - initial
        for n_labelled, target in zip(random["n_labelled"], random[value], strict=True):
            n_random = float(n_labelled) - initial
            if n_random <= 0:
                continue  # both strategies start from the same initial set
            n_bald = first_reaching(bald_new, bald[value].to_numpy(float), float(target))
            rows.append(
                {
                    "repeat": int(repeat),
                    "new_random": n_random,
                    "target_rmse": float(target),
                    "new_bald": n_bald,
                    "saving": np.nan if n_bald is None else 1.0 - n_bald / n_random,
                }
            )
    columns = ["repeat", "new_random", "target_rmse", "new_bald", "saving"]
    return pd.DataFrame(rows, columns=columns)


def saving_summary(savings: pd.DataFrame) -> dict:
    """The saving at random's last iteration and the best over iterations, per repeat, with
    their mean and spread over repeats (NaN: BALD did not reach random's RMSE)."""
    if savings.empty:
        return {"per_repeat": [], "final": None, "best": None}
    per_repeat = []
    for repeat, rows in savings.groupby("repeat"):
        rows = rows.sort_values("new_random")
        best = rows["saving"].max(skipna=True)
        per_repeat.append(
            {
                "repeat": int(repeat),
                "final": _number(rows["saving"].iloc[-1]),
                "best": _number(best),
                "best_at_new_random": _number(
                    rows.loc[rows["saving"].idxmax(), "new_random"]
                    if rows["saving"].notna().any()
                    else np.nan
                ),
            }
        )

    def spread(key: str) -> dict:
        values = np.array([np.nan if r[key] is None else r[key] for r in per_repeat], float)
        reached = values[~np.isnan(values)]
        return {
            "mean": _number(reached.mean()) if len(reached) else None,
            "std": _number(reached.std(ddof=1)) if len(reached) > 1 else None,
            "repeats_reached": len(reached),
            "repeats": len(values),
        }

    return {"per_repeat": per_repeat, "final": spread("final"), "best": spread("best")}


def _number(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)
