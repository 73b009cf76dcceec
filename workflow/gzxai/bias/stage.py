"""File edges of the resolution-bias stage: θ fit → classifiers' evaluation and summary.

Each function reads the files one Snakemake job names, calls the pure functions of
:mod:`gzxai.bias.resolution` and :mod:`gzxai.bias.classifier`, and writes its outputs
atomically. The CLI (``python -m gzxai bias-theta|bias-evaluate``) is a thin layer over them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from gzxai.bias import classifier, resolution, verdict
from gzxai.bias.settings import EvaluationSettings, LabelBiasSettings, ThetaSettings
from gzxai.core.errors import InputError
from gzxai.core.io import write_csv, write_json, write_text
from gzxai.core.splits import read_split

log = logging.getLogger(__name__)

#: How close the fitted θ must come to the injected one on the synthetic survey.
THETA_TOLERANCE = 0.10


def _truth_of(truth_path: str | None, index: pd.Index) -> pd.DataFrame | None:
    if not truth_path:
        return None
    return pd.read_parquet(truth_path).set_index("dr7objid").loc[index]


def run_theta(
    *, gz2: str, truth: str | None, settings: ThetaSettings, out: str, figure: str
) -> dict:
    """θ and f_s from the labels (Medina eq. 17–18), with the injected θ where known."""
    from gzxai.bias import figures

    catalogue = pd.read_parquet(gz2)
    table = classifier.usable_galaxies(catalogue)
    fit = resolution.fit_theta(
        table["alpha"],
        table["label"],
        alpha_bins(len(table), settings.galaxies_per_bin),
        n_bootstrap=settings.bootstrap,
        seed=settings.seed,
        centre=settings.alpha_centre,
    )
    summary = {
        **fit.summary(),
        "alpha_centre": settings.alpha_centre,
        "discarded_star_or_no_alpha": len(catalogue) - len(table),
    }
    injected = None
    known = _truth_of(truth, table.index)
    if known is not None:
        injected = float(known["theta"].iloc[0])
        summary |= {
            "injected_theta": injected,
            "relative_error": abs(fit.theta - injected) / injected,
            "true_smooth_fraction": float((known["true_class"] == "smooth").mean()),
        }
    write_json(summary, out)
    figures.smooth_fraction_vs_alpha(fit, figure, injected)
    log.info("theta fit: %s", summary)
    return summary


def alpha_bins(n_galaxies: int, galaxies_per_bin: int) -> int:
    """Equal-count α bins of the θ fit and of CV14: ``galaxies_per_bin`` each, at least 3."""
    return max(3, n_galaxies // galaxies_per_bin)


def run_label_bias(*, gz2: str, truth: str | None, settings: LabelBiasSettings, out: str) -> None:
    """CV14 and CV18 of the labels over the whole sample (and of the true classes where known)."""
    table = classifier.usable_galaxies(pd.read_parquet(gz2))
    sets = {"labels (majority of votes)": table["label"].to_numpy()}
    known = _truth_of(truth, table.index)
    if known is not None:
        sets["true classes (synthetic)"] = (known["true_class"] == "smooth").astype(int).to_numpy()
    draws = classifier.cv18_draws(table, sets, settings.cv18, settings.seed)
    n_bins = alpha_bins(len(table), settings.galaxies_per_bin)
    rows = [
        {
            "labels": name,
            "cv14": resolution.cv14(table["alpha"], values, n_bins),
            "cv18": float(draws[name].mean()),
            "cv18_std": float(draws[name].std(ddof=1)) if len(draws) > 1 else 0.0,
        }
        for name, values in sets.items()
    ]
    write_csv(pd.DataFrame(rows), out)


def classifier_galaxies(
    gz2: str, split: str, images: str | None = None
) -> tuple[pd.DataFrame, pd.Series]:
    """The classifiers' galaxies (usable ones with a readable image, in table order) and
    their part of the classifiers' split file."""
    from gzxai.core.arrays import with_images

    galaxies = classifier.usable_galaxies(
        with_images(pd.read_parquet(gz2), images, "dr7objid", "bias classifiers")
    )
    return galaxies, read_split(split).loc[galaxies.index]


def summary(theta: Mapping, table: pd.DataFrame, differences: pd.DataFrame, n_test: int) -> dict:
    """The stage's answer: θ against the injected value, CV18 of every labelling, and whether
    the debiased classifier's CV18 is below the naive one's (paired bootstrap interval)."""
    result: dict = {
        "theta": {k: theta[k] for k in ("theta", "theta_std", "f_s", "f_s_std", "n_galaxies")},
        "n_test": n_test,
        "cv18": {
            r.labels: {"mean": float(r.cv18), "std": float(r.cv18_std)} for r in table.itertuples()
        },
        "cv18_differences": differences.to_dict(orient="records"),
    }
    if "injected_theta" in theta:
        result["theta"] |= {
            "injected": theta["injected_theta"],
            "relative_error": theta["relative_error"],
            "within_10_percent": bool(theta["relative_error"] <= THETA_TOLERANCE),
        }
    naive, debiased = classifier.classifier_name("naive"), classifier.classifier_name("debiased")
    pair = differences[(differences["a"] == naive) & (differences["b"] == debiased)]
    if len(pair):
        row = pair.iloc[0]
        result["debiased_below_naive"] = {
            "naive_minus_debiased": float(row["difference"]),
            "interval_95": [float(row["low"]), float(row["high"])],
            "holds": bool(row["difference"] > 0),
            "significant": bool(row["low"] > 0),
        }
    return result


def _verdict(
    test: pd.DataFrame,
    known: pd.DataFrame,
    sets: Mapping[str, np.ndarray],
    result: Mapping,
    settings: EvaluationSettings,
    out: Path,
    figures_out: Path,
) -> dict:
    """Medina's two claims against the truth (:mod:`gzxai.bias.verdict`): the per-bin table,
    the accuracy per α tercile, the figure, and the numbers and words for the summary."""
    from gzxai.bias import figures

    v = settings.verdict
    disks = (known["true_class"] == "disk").to_numpy()
    alpha = test["alpha"].to_numpy()
    calls = {name: values[disks] for name, values in sets.items() if name != classifier.TRUTH}
    if disks.sum() < verdict.MIN_DISKS:
        raise InputError(
            f"{disks.sum()} true disks among the {len(test)} test galaxies of the bias "
            f"classifiers: the verdict needs at least {verdict.MIN_DISKS}"
        )
    # A tiny survey may hold fewer test disks than bins: one bin per disk at most.
    n_bins = min(v.alpha_bins, int(disks.sum()))
    per_bin = verdict.disks_called_smooth(alpha[disks], calls, n_bins, v.bootstrap, settings.seed)
    accuracy = verdict.accuracy_by_tercile(alpha, sets)
    write_csv(per_bin, out / "disks_called_smooth.csv")
    write_csv(accuracy, out / "accuracy_by_alpha.csv")
    figures.disks_called_smooth(
        per_bin,
        float(known["theta"].iloc[0]),
        result["theta"]["theta"],
        figures_out / "disks_called_smooth.png",
    )
    claims = verdict.claims(alpha[disks], calls, v.bootstrap, settings.seed, v.close_to_zero)
    cv18_minus_truth = {
        row["a"]: {"difference": row["difference"], "low": row["low"], "high": row["high"]}
        for row in result["cv18_differences"]
        if row["b"] == classifier.TRUTH
    }
    return {
        **claims,
        "cv18_minus_truth": cv18_minus_truth,
        "accuracy_vs_truth_by_alpha_tercile": {
            name: dict(zip(rows["alpha_tercile"], rows["accuracy_vs_truth"], strict=True))
            for name, rows in accuracy.groupby("labelling", sort=False)
        },
        "in_words": verdict.sentences(claims),
    }


def run_evaluate(
    *,
    gz2: str,
    truth: str | None,
    theta: str,
    predictions: Sequence[str],
    models: Sequence[str],
    shards: Sequence[str],
    split: str,
    settings: EvaluationSettings,
    out_dir: str,
    figures_dir: str,
    images: str | None = None,
) -> dict:
    """Medina's Table 1 with paired CV18 differences, the summary, Sérsic and Grad-CAM figures."""
    from gzxai.bias import figures
    from gzxai.cnn.train import load_model
    from gzxai.core.arrays import read_by_id
    from gzxai.explain.gradcam import grad_cam

    galaxies, parts = classifier_galaxies(gz2, split, images)
    test = galaxies[(parts == "test").to_numpy()]
    scores = {
        kind: pd.read_parquet(path).set_index("galaxy_id").loc[test.index, "p_smooth"].to_numpy()
        for kind, path in zip(classifier.KINDS, predictions, strict=True)
    }
    known = _truth_of(truth, test.index)
    true_smooth = None if known is None else (known["true_class"] == "smooth").astype(int)
    sets = classifier.label_sets(test, scores, None if known is None else true_smooth.to_numpy())
    draws = classifier.cv18_draws(test, sets, settings.cv18, settings.seed)
    table = classifier.medina_table(test, sets, draws)
    differences = resolution.paired_differences(draws, classifier.comparisons(sets))
    result = summary(json.loads(Path(theta).read_text()), table, differences, len(test))

    out, figures_out = Path(out_dir), Path(figures_dir)
    write_csv(table, out / "classifier_bias.csv")
    write_text(classifier.markdown(table, differences), out / "classifier_bias.md")
    if known is not None:
        result["verdict"] = _verdict(test, known, sets, result, settings, out, figures_out)
        sersic = known["sersic_n"].to_numpy()
        samples = {name: sersic[values == 1] for name, values in sets.items()}
        figures.cumulative_sersic(samples, figures_out / "sersic_smooth_cumulative.png")
    write_json(result, out / "summary.json")
    images = read_by_id(shards, test.index.to_numpy()).astype(np.float32) / 255.0
    maps = {}
    for kind, model_path in zip(classifier.KINDS, models, strict=True):
        smooth_map, disk_map = grad_cam(load_model(model_path), images)
        called_smooth = scores[kind] > 0.5
        maps[kind] = {
            "smooth": smooth_map[called_smooth].mean(axis=0),
            "disk": disk_map[~called_smooth].mean(axis=0),
        }
    figures.grad_cam_summary(maps, figures_out / "grad_cam_classifiers.png")
    log.info("classifier bias:\n%s", classifier.markdown(table, differences))
    return result
