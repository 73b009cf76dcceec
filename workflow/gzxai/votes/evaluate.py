"""Judging the vote models on their test galaxies: posteriors per question, calibration
with and without MC dropout (Walmsley et al. 2020 Tables 1–2, Fig. 6), and, on the synthetic
survey, the error against the true vote probability ρ the counts were drawn from."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gzxai.core.tables import number
from gzxai.core.trees import DecisionTree
from gzxai.votes.calibration import (
    EPSILONS,
    VotePosterior,
    beta_binomial_posterior,
    binomial_posterior,
    calibration_table,
)
from gzxai.votes.targets import BinaryQuestion

#: Walmsley et al. (2020) Tables 1–2: coverage error (%) at ε = 0.02, 0.05, 0.10, 0.20.
PAPER_COVERAGE_ERROR = {
    "smooth": {"without_mc": (49.6, 38.5, 26.1, 7.9), "with_mc": (16.5, 13.4, 9.4, 5.4)},
    "bar": {"without_mc": (92.2, 85.5, 57.8, 22.6), "with_mc": (45.5, 42.4, 29.2, 11.8)},
}
#: How undecided real volunteers are: the share of galaxies whose vote fraction k/N lies in
#: (0.2, 0.8), among those with N ≥ 10 for the question, in the real GZ2 votes of the 19,761
#: Stripe 82 coadd galaxies (Willett et al. 2013 Table 5; re-derived by a test where the file
#: is at hand). Calibration depends on it: a survey whose volunteers agree more than real ones
#: judges a model's posteriors on an easier task.
REAL_GZ2_INTERMEDIATE_SHARE = {"smooth": 0.559, "bar": 0.416}
INTERMEDIATE = (0.2, 0.8)
#: The ε grid of the calibration curve (Fig. 6).
CURVE_EPSILONS = tuple(np.round(np.linspace(0.0, 0.5, 51), 3))
MODES = ("without_mc", "with_mc")


@dataclass(frozen=True)
class QuestionPredictions:
    """One model's predictions for one question's test galaxies: ρ̂ per MC pass (galaxies × T)
    and of the single network, and the posteriors they give."""

    rho_samples: np.ndarray
    rho_single: np.ndarray
    posteriors: dict[str, VotePosterior]


def question_predictions(
    samples: np.ndarray,
    single: np.ndarray,
    n: np.ndarray,
    question: BinaryQuestion,
    tree: DecisionTree | None,
) -> QuestionPredictions:
    """A binomial model's (``tree`` None: output 0 is ρ̂) or the Dirichlet tree model's
    predictions for the question: the answer's Beta-binomial marginal per pass."""
    if tree is None:
        rho = samples[:, 0, :]
        return QuestionPredictions(
            rho,
            single[:, 0],
            {
                "with_mc": binomial_posterior(rho, n),
                "without_mc": binomial_posterior(single[:, 0], n),
            },
        )
    task = tree.answer_slices()[question.task]
    answer = tree.answer_index(f"{question.task}_{question.answer}")
    a, total = samples[:, answer, :], samples[:, task, :].sum(axis=1)
    a1, total1 = single[:, answer], single[:, task].sum(axis=1)
    return QuestionPredictions(
        a / total,
        a1 / total1,
        {
            "with_mc": beta_binomial_posterior(a, total - a, n),
            "without_mc": beta_binomial_posterior(a1, total1 - a1, n),
        },
    )


def calibration(predictions: QuestionPredictions, k: np.ndarray, epsilons=EPSILONS) -> pd.DataFrame:
    """Expected and actual counts and coverage errors with and without MC, long form."""
    frames = [
        calibration_table(predictions.posteriors[mode], k, epsilons).assign(mode=mode)
        for mode in MODES
    ]
    return pd.concat(frames, ignore_index=True)


def truth_comparison(
    predictions: QuestionPredictions,
    k: np.ndarray,
    n: np.ndarray,
    true_rho: np.ndarray,
    interval: float,
) -> dict[str, float]:
    """How far ρ̂ is from the true ρ and from the observed k/N, how much of the latter is the
    votes' own noise, and how often the MC interval of ρ̂ holds the true ρ."""
    observed = k / n
    mean = predictions.rho_samples.mean(axis=1)
    low, high = np.quantile(predictions.rho_samples, [(1 - interval) / 2, (1 + interval) / 2], 1)

    def rmse(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.sqrt(np.mean((a - b) ** 2)))

    vote_noise = float(np.mean((observed - true_rho) ** 2))
    return {
        "rmse_vs_true_rho": rmse(mean, true_rho),
        "rmse_vs_observed_fraction": rmse(mean, observed),
        "rmse_single_vs_true_rho": rmse(predictions.rho_single, true_rho),
        "rmse_observed_fraction_vs_true_rho": float(np.sqrt(vote_noise)),
        "vote_noise_share_of_squared_error": vote_noise / float(np.mean((mean - observed) ** 2)),
        "interval": interval,
        "true_rho_in_mc_interval": float(np.mean((true_rho >= low) & (true_rho <= high))),
    }


def intermediate_share(k: np.ndarray, n: np.ndarray, min_votes: int = 10) -> float:
    """The share of galaxies with N ≥ ``min_votes`` whose k/N lies strictly inside
    :data:`INTERMEDIATE`."""
    k, n = np.asarray(k, float), np.asarray(n, float)
    keep = n >= min_votes
    fraction = k[keep] / n[keep]
    low, high = INTERMEDIATE
    return float(np.mean((fraction > low) & (fraction < high))) if keep.any() else float("nan")


def coverage_errors(table: pd.DataFrame) -> dict[str, dict[str, float | None]]:
    """{mode: {ε: coverage error}} of one model and question's calibration table (None where
    no test galaxy lies within ε: eq. 13 is undefined)."""
    return {
        mode: {
            f"{r.epsilon:g}": None if np.isnan(r.coverage_error) else float(r.coverage_error)
            for r in table[table["mode"] == mode].itertuples()
        }
        for mode in MODES
    }


def mc_lowers_error(errors: dict[str, dict[str, float | None]]) -> dict[str, bool | None]:
    """Whether |coverage error| with MC is below that without, at each ε (the paper: yes);
    None where either is undefined."""
    lowers = {}
    for eps, with_mc in errors["with_mc"].items():
        without = errors["without_mc"][eps]
        lowers[eps] = None if None in (with_mc, without) else bool(abs(with_mc) < abs(without))
    return lowers


def markdown_table(question: str, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Tables 1–2: coverage error (%) per ε, each model with and without MC, beside the
    paper's."""
    rows = {"max error ε": [f"{e:g}" for e in EPSILONS]}
    for model, table in tables.items():
        for mode in MODES:
            part = table[table["mode"] == mode].set_index("epsilon")["coverage_error"]
            rows[f"{model}, {mode.replace('_', ' ')} (%)"] = [
                number(100 * part.loc[e], ".1f") for e in EPSILONS
            ]
    paper = PAPER_COVERAGE_ERROR.get(question)
    if paper:
        for mode in MODES:
            rows[f"paper, {mode.replace('_', ' ')} (%)"] = [f"{v:.1f}" for v in paper[mode]]
    return pd.DataFrame(rows)
