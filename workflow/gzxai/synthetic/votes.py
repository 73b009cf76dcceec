"""Simulated Galaxy Zoo volunteers walking the GZ2 decision tree.

For each galaxy and task the volunteers share a *perceived* answer distribution

    q = clarity · onehot(true answer) + (1 − clarity) · uniform,

where clarity falls for features that the image does not resolve. A galaxy-level Dirichlet
draw around q (concentration ``perception_concentration``) gives the overdispersion real vote
fractions show (ambiguous galaxies split the volunteers); multinomial draws then give the
counts. Volunteers reach a task only through the answers that lead to it, so the counts obey
the tree exactly.

The resolution labelling bias is injected before any vote: a disk galaxy is *perceived* as
smooth with probability exp(−α²/2θ²) (Cabrera-Vives et al. 2018; Medina Rosales 2023 eq. 4),
and then the volunteers vote on what they perceive.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gzxai.core.trees import load_tree


@dataclass(frozen=True)
class VoteConfig:
    """The ``synthetic.volunteers`` and ``synthetic.bias`` blocks of the config."""

    mean_volunteers: float
    min_volunteers: int
    clarity: float
    perception_concentration: float
    feature_visibility_psf: float
    theta: float

    @classmethod
    def from_config(cls, volunteers: dict, bias: dict) -> VoteConfig:
        return cls(**volunteers, theta=float(bias["theta"]))


def bias_flip_probability(alpha: np.ndarray, theta: float) -> np.ndarray:
    """p(labelled smooth | disk, α) = exp(−α²/2θ²)."""
    return np.exp(-(np.asarray(alpha, float) ** 2) / (2.0 * theta**2))


def perceived_class(
    population: pd.DataFrame, theta: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(class the volunteers perceive, whether the bias flipped a disk to smooth)."""
    disk = (population["true_class"] == "disk").to_numpy()
    flipped = disk & (
        rng.uniform(size=len(population)) < bias_flip_probability(population["alpha"], theta)
    )
    perceived = np.where(flipped, "smooth", population["true_class"].to_numpy())
    return perceived, flipped


def _visibility(size_px: np.ndarray, psf_px: np.ndarray, scale: float) -> np.ndarray:
    """How well a feature of the given size is resolved: 0 (lost in the PSF) to 1."""
    ratio = np.nan_to_num(np.asarray(size_px, float) / (scale * np.asarray(psf_px, float)))
    return 1.0 - np.exp(-0.5 * ratio**2)


def true_answers(
    population: pd.DataFrame, perceived: np.ndarray, visibility_scale: float
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per task: (index of the answer a perfect volunteer would give, clarity scale 0..1)."""
    n = len(population)
    p = population
    smooth = perceived == "smooth"
    star = perceived == "star"
    edge_on = p["edge_on"].to_numpy(bool)
    ones = np.ones(n)
    psf = p["psf_fwhm_px"].to_numpy(float)

    q = p["axis_ratio"].to_numpy(float)
    roundness = np.select([q > 0.8, q > 0.45], [0, 1], 2)
    bt = p["bulge_fraction"].to_numpy(float)
    prominence = np.select([bt < 0.04, bt < 0.12, bt < 0.3], [0, 1, 2], 3)
    bulge_shape = np.where(bt < 0.04, 2, np.where(p["has_bar"].to_numpy(bool), 1, 0))
    pitch = p["arm_pitch_deg"].to_numpy(float)
    winding = np.select([pitch < 17, pitch < 28], [0, 1], 2)
    arms = p["spiral_arms"].to_numpy(int)
    arms_answer = np.clip(arms - 1, 0, 4)
    ring = p["has_ring"].to_numpy(bool)
    merger = p["has_merger"].to_numpy(bool)
    odd = ring | merger
    odd_feature = np.where(ring, 0, 5)

    bar_visible = _visibility(p["bar_half_length_px"], psf, visibility_scale)
    arm_visible = _visibility(p["disk_h_px"], psf, visibility_scale)
    return {
        "t01_smooth_or_features": (np.select([smooth, star], [0, 2], 1), ones),
        "t02_edgeon": (np.where(edge_on, 0, 1), ones),
        "t03_bar": (
            np.where(p["has_bar"].to_numpy(bool), 0, 1),
            np.where(p["has_bar"], bar_visible, 1.0),
        ),
        "t04_spiral": (np.where(arms > 0, 0, 1), np.where(arms > 0, arm_visible, 1.0)),
        "t05_bulge_prominence": (prominence, 0.6 * ones),
        "t06_odd": (np.where(odd, 0, 1), ones),
        "t07_rounded": (roundness, ones),
        "t08_odd_feature": (odd_feature, ones),
        "t09_bulge_shape": (bulge_shape, 0.7 * ones),
        "t10_arms_winding": (winding, 0.6 * arm_visible),
        "t11_arms_number": (arms_answer, 0.6 * arm_visible),
    }


def simulate_votes(
    population: pd.DataFrame, perceived: np.ndarray, cfg: VoteConfig, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(raw vote counts, int64, and each answer's probability ρ for a volunteer who reaches
    its task: the latent distribution the counts are drawn from), both (n, 37) in the tree's
    answer order."""
    tree = load_tree()
    n = len(population)
    answers = true_answers(population, perceived, cfg.feature_visibility_psf)
    slices = tree.answer_slices()
    counts = np.zeros((n, len(tree.kaggle_columns)), dtype=np.int64)
    probabilities = np.zeros(counts.shape)
    reaching = {t.gz2: np.zeros(n, dtype=np.int64) for t in tree.tasks}
    first = tree.flow_order()[0]
    reaching[first.gz2] = np.maximum(rng.poisson(cfg.mean_volunteers, n), cfg.min_volunteers)
    for task in tree.flow_order():
        k = len(task.answers)
        truth, clarity_scale = answers[task.gz2]
        clarity = cfg.clarity * np.clip(clarity_scale, 0.0, 1.0)
        perceived_q = perceived_distribution(truth, k, clarity, cfg.perception_concentration, rng)
        block = rng.multinomial(reaching[task.gz2], perceived_q)
        counts[:, slices[task.gz2]] = block
        probabilities[:, slices[task.gz2]] = perceived_q
        for j, answer in enumerate(task.answers):
            if answer.next is not None:
                reaching[answer.next] += block[:, j]
    return counts, probabilities


def perceived_distribution(
    truth: np.ndarray,
    n_answers: int,
    clarity: np.ndarray | float,
    concentration: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Each galaxy's answer distribution ρ for one task, (n, n_answers): a Dirichlet draw of
    the given concentration around clarity · onehot(truth) + (1 − clarity) · uniform."""
    n = len(truth)
    clarity = np.broadcast_to(np.asarray(clarity, float), (n,))
    q = np.repeat(((1.0 - clarity) / n_answers)[:, None], n_answers, axis=1)
    q[np.arange(n), truth] += clarity
    return _dirichlet_rows(q * concentration, rng)


def _dirichlet_rows(alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One Dirichlet draw per row with per-row concentrations (vectorised via gammas)."""
    g = rng.standard_gamma(alpha)
    total = g.sum(axis=1, keepdims=True)
    # A row whose gammas all underflowed (tiny concentrations) falls back to its mean.
    return np.where(
        total > 0, g / np.where(total > 0, total, 1.0), alpha / alpha.sum(axis=1, keepdims=True)
    )
