"""Naive and debiased smooth/disk classifiers and their evaluation (Medina Rosales 2023 §5).

Both classifiers see the same images and the same biased labels (the GZ2 first-task
majority). The naive one minimises the cross-entropy; the debiased one the negative log of
eq. (8), which credits a smooth label of an unresolved galaxy to the bias model
p(smooth | disk, α) = exp(−α²/2θ²) with the θ fitted by :func:`gzxai.bias.resolution.fit_theta`.
Both go through :func:`gzxai.cnn.train.train_member` with the ``debiased`` objective; for the
naive classifier every flip probability is 0, which makes that objective the cross-entropy.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from gzxai.bias import resolution
from gzxai.bias.settings import Cv18Settings
from gzxai.core import tables

KINDS = ("naive", "debiased")
SMOOTH_VOTES = "t01_smooth_or_features_a01_smooth_count"
DISK_VOTES = "t01_smooth_or_features_a02_features_or_disk_count"
STAR_VOTES = "t01_smooth_or_features_a03_star_or_artifact_count"


def usable_galaxies(gz2: pd.DataFrame) -> pd.DataFrame:
    """GZ2 galaxies with a smooth/disk majority label and an α, indexed by dr7objid."""
    labels = resolution.labels_from_votes(gz2[SMOOTH_VOTES], gz2[DISK_VOTES], gz2[STAR_VOTES])
    keep = (labels >= 0) & gz2["alpha"].notna().to_numpy()
    return gz2.loc[keep].assign(label=labels[keep]).set_index("dr7objid")


def training_targets(galaxies: pd.DataFrame, kind: str, theta: float) -> pd.DataFrame:
    """The two target columns of the ``debiased`` objective: label and flip probability."""
    if kind not in KINDS:
        raise ValueError(f"unknown classifier kind {kind!r}; choose from {KINDS}")
    flip = resolution.flip_probability(galaxies["alpha"], theta) if kind == "debiased" else 0.0
    return pd.DataFrame(
        {"label": galaxies["label"].astype("float32"), "flip": np.float32(flip)},
        index=galaxies.index,
    )


def classification_scores(predicted: np.ndarray, reference: np.ndarray) -> dict[str, float]:
    """Accuracy and macro-averaged precision, recall and F1 of two-class labels."""
    predicted, reference = np.asarray(predicted), np.asarray(reference)
    precision, recall, f1 = [], [], []
    for k in (0, 1):
        tp = np.sum((predicted == k) & (reference == k))
        p = tp / max(np.sum(predicted == k), 1)
        r = tp / max(np.sum(reference == k), 1)
        precision.append(p)
        recall.append(r)
        f1.append(0.0 if p + r == 0 else 2 * p * r / (p + r))
    return {
        "accuracy": float(np.mean(predicted == reference)),
        "precision": float(np.mean(precision)),
        "recall": float(np.mean(recall)),
        "f1": float(np.mean(f1)),
    }


LABELS = "labels (GZ2 votes)"
TRUTH = "true classes"


def classifier_name(kind: str) -> str:
    return f"{kind} classifier"


def label_sets(
    test: pd.DataFrame, predictions: Mapping[str, np.ndarray], truth: np.ndarray | None
) -> dict[str, np.ndarray]:
    """The labellings Medina's Table 1 compares: votes, each classifier at p > 0.5, truth."""
    sets: dict[str, np.ndarray] = {LABELS: test["label"].to_numpy()}
    sets |= {classifier_name(k): (p > 0.5).astype(int) for k, p in predictions.items()}
    if truth is not None:
        sets[TRUTH] = np.asarray(truth)
    return sets


def cv18_draws(
    galaxies: pd.DataFrame, sets: Mapping[str, np.ndarray], cv18: Cv18Settings, seed: int
) -> pd.DataFrame:
    """CV18 of every labelling of the galaxies on shared bootstrap resamples (config
    ``resolution.cv18``; intrinsic bins from radius in kpc, absolute magnitude and redshift)."""
    return resolution.cv18_bootstrap(
        galaxies["alpha"].to_numpy(),
        sets,
        galaxies[["petro_r50_kpc", "abs_mag_r", "redshift"]].reset_index(drop=True),
        n_splits=cv18.intrinsic_splits,
        n_alpha_bins=cv18.alpha_bins,
        n_bootstrap=cv18.bootstrap,
        seed=seed,
    )


def medina_table(
    test: pd.DataFrame, sets: Mapping[str, np.ndarray], draws: pd.DataFrame
) -> pd.DataFrame:
    """CV18 of labels, of each classifier's predictions and (synthetic) of the true classes,
    with classification scores against the labels and, where known, against the truth."""
    rows = []
    for name, values in sets.items():
        row = {"labels": name, "cv18": draws[name].mean(), "cv18_std": draws[name].std(ddof=1)}
        row |= {
            f"{k}_vs_labels": v for k, v in classification_scores(values, test["label"]).items()
        }
        if TRUTH in sets:
            row |= {
                f"{k}_vs_truth": v for k, v in classification_scores(values, sets[TRUTH]).items()
            }
        rows.append(row)
    return pd.DataFrame(rows)


def comparisons(sets: Mapping[str, np.ndarray]) -> list[tuple[str, str]]:
    """Paired CV18 differences worth reporting: naive − debiased, and each labelling − truth."""
    pairs = [(classifier_name("naive"), classifier_name("debiased"))]
    if TRUTH in sets:
        pairs += [(name, TRUTH) for name in sets if name != TRUTH]
    return [(a, b) for a, b in pairs if a in sets and b in sets]


def markdown(table: pd.DataFrame, differences: pd.DataFrame | None = None) -> str:
    has_truth = "accuracy_vs_truth" in table
    header = ["Labels", "CV18", "accuracy", "precision", "recall", "F1"]
    header += ["accuracy (truth)", "F1 (truth)"] if has_truth else []
    scores = ["accuracy_vs_labels", "precision_vs_labels", "recall_vs_labels", "f1_vs_labels"]
    scores += ["accuracy_vs_truth", "f1_vs_truth"] if has_truth else []
    rows = [
        [r["labels"], f"{r['cv18']:.4f} ± {r['cv18_std']:.4f}"]
        + [f"{r[name]:.3f}" for name in scores]
        for _, r in table.iterrows()
    ]
    text = tables.markdown(header, rows)
    if differences is not None and len(differences):
        pairs = [
            [f"{r.a} − {r.b}", f"{r.difference:+.4f}", f"[{r.low:+.4f}, {r.high:+.4f}]"]
            for r in differences.itertuples()
        ]
        header = ["CV18 difference (paired bootstrap)", "mean", "95% interval"]
        text += "\n" + tables.markdown(header, pairs)
    return text


def radial_profile(image: np.ndarray, n_bins: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Mean value in one-pixel annuli around the image centre."""
    size = image.shape[0]
    rows, cols = np.indices(image.shape)
    radius = np.hypot(rows - (size - 1) / 2, cols - (size - 1) / 2)
    n_bins = n_bins or size // 2
    which = np.minimum(radius.astype(int), n_bins - 1)
    totals = np.bincount(which.ravel(), weights=image.ravel(), minlength=n_bins)
    counts = np.bincount(which.ravel(), minlength=n_bins)
    return np.arange(n_bins) + 0.5, totals / np.maximum(counts, 1)
