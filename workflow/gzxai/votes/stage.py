"""The vote models' evaluation job: Tables 1–2, Figs. 4–7, the truth comparison and the
summary, from the MC samples of every model on the test galaxies."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from gzxai.core.arrays import read_by_id, read_vote_samples
from gzxai.core.contracts import TRUTH_RHO_COLUMNS
from gzxai.core.errors import InputError
from gzxai.core.io import write_csv, write_json, write_text
from gzxai.core.splits import read_split
from gzxai.core.tables import markdown
from gzxai.core.trees import load_tree
from gzxai.votes import evaluate, figures
from gzxai.votes.settings import TREE_MODEL, EvaluationSettings
from gzxai.votes.targets import binary_targets

log = logging.getLogger(__name__)


def run_evaluate(
    *,
    gz2: str | Path,
    split: str | Path,
    samples: dict[str, Sequence[str | Path]],
    shards: Sequence[str | Path],
    truth: str | Path | None,
    settings: EvaluationSettings,
    out_dir: str | Path,
    figures_dir: str | Path,
) -> dict:
    """Every question against the binomial model of the same name and the tree model."""
    out_dir, figures_dir = Path(out_dir), Path(figures_dir)
    table = pd.read_parquet(gz2)
    test = read_split(split)
    test = test.index[test == "test"]
    true_rho = _true_rho(truth)
    models = {name: read_vote_samples(paths) for name, paths in samples.items()}
    tree = load_tree()
    summary: dict = {"mc_passes": None, "questions": {}}
    calibration_rows, curve_rows, distributions = [], [], {}
    for number, question in enumerate(settings.questions, start=1):
        targets = binary_targets(table, question)
        ids = targets.index.intersection(test)
        if not len(ids):
            raise InputError(
                f"{gz2}: no test galaxy has N ≥ {question.min_votes} votes for "
                f"'{question.name}': raise votes.test_fraction"
            )
        k, n = targets.loc[ids, "k"].to_numpy(), targets.loc[ids, "n"].to_numpy()
        entry: dict = {
            "n_test": len(ids),
            "intermediate_vote_share": {
                "this_survey": evaluate.intermediate_share(k, n),
                "real_gz2_stripe82": evaluate.REAL_GZ2_INTERMEDIATE_SHARE.get(question.name),
            },
            "models": {},
        }
        tables = {}
        for name, kind in ((question.name, "binomial"), (TREE_MODEL, "dirichlet")):
            if name not in models:
                continue
            samples_, single = _rows(models[name], ids, f"{name} model")
            summary["mc_passes"] = int(samples_.shape[2])
            predictions = evaluate.question_predictions(
                samples_, single, n, question, tree if kind == "dirichlet" else None
            )
            rho = None if true_rho is None else true_rho.loc[ids, _rho_column(question)]
            tables[kind], curve, entry["models"][kind] = _judged(
                predictions, k, n, rho, settings.credible_interval
            )
            calibration_rows.append(tables[kind].assign(question=question.name, model=kind))
            curve_rows.append(curve.assign(question=question.name, model=kind))
            if kind == "binomial":
                distributions[question.name] = _distribution(predictions, k, n, rho)
                _examples(
                    predictions, ids, k, n, shards, question.name, number, settings, figures_dir
                )
        entry["paper_coverage_error_percent"] = evaluate.PAPER_COVERAGE_ERROR.get(question.name)
        summary["questions"][question.name] = entry
        text = evaluate.markdown_table(question.name, tables)
        write_csv(text, out_dir / f"table{number}_{question.name}.csv")
        write_text(
            f"Coverage error (eq. 13) predicting k/N within ±ε for '{question.name}', "
            f"{len(ids)} test galaxies.\n\n" + markdown(text.columns, text.to_numpy()),
            out_dir / f"table{number}_{question.name}.md",
        )
    write_csv(pd.concat(calibration_rows, ignore_index=True), out_dir / "calibration.csv")
    curves = pd.concat(curve_rows, ignore_index=True)
    write_csv(curves, out_dir / "calibration_curve.csv")
    figures.calibration_curves(curves, figures_dir / "votes_fig6_calibration.png")
    figures.distributions(distributions, figures_dir / "votes_fig7_distributions.png")
    if true_rho is not None:
        write_csv(_truth_table(summary), out_dir / "truth.csv")
    write_json(summary, out_dir / "summary.json")
    return summary


def _judged(
    predictions: evaluate.QuestionPredictions,
    k: np.ndarray,
    n: np.ndarray,
    true_rho: pd.Series | None,
    interval: float,
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """One model on one question: its calibration table (the paper's ε), its curve (ε in
    [0, 0.5]) and its summary entry, with the truth comparison where the truth is known."""
    calibration = evaluate.calibration(predictions, k)
    curve = evaluate.calibration(predictions, k, evaluate.CURVE_EPSILONS)
    errors = evaluate.coverage_errors(calibration)
    result: dict = {
        "coverage_error": errors,
        "mc_lowers_coverage_error": evaluate.mc_lowers_error(errors),
    }
    if true_rho is not None:
        result["truth"] = evaluate.truth_comparison(
            predictions, k, n, true_rho.to_numpy(), interval
        )
    return calibration, curve, result


def _rho_column(question) -> str:
    return f"rho_{question.task}_{question.answer}"


def _true_rho(truth: str | Path | None) -> pd.DataFrame | None:
    if truth is None:
        return None
    return pd.read_parquet(truth, columns=["dr7objid", *TRUTH_RHO_COLUMNS]).set_index("dr7objid")


def _rows(
    arrays: dict[str, np.ndarray], ids: pd.Index, label: str
) -> tuple[np.ndarray, np.ndarray]:
    """The samples and single outputs of ``ids``, in that order."""
    position = pd.Series(np.arange(len(arrays["ids"])), index=arrays["ids"])
    missing = ids.difference(position.index)
    if len(missing):
        raise InputError(
            f"{label}: no predictions for test galaxy {missing[0]} (sample files of other "
            "shards than the GZ2 table's?)"
        )
    rows = position.loc[ids].to_numpy()
    return arrays["samples"][rows].astype(np.float64), arrays["single"][rows].astype(np.float64)


def _distribution(predictions, k, n, true_rho: pd.Series | None) -> dict[str, np.ndarray]:
    rho = predictions.rho_samples.mean(axis=1)
    values = {"observed_rho": k / n, "rho": rho, "k": k, "k_hat": np.rint(n * rho)}
    if true_rho is not None:
        values["true_rho"] = true_rho.to_numpy()
    return values


def _examples(predictions, ids, k, n, shards, question, number, settings, figures_dir) -> None:
    """Figs. 4–5 for random test galaxies (seeded)."""
    rng = np.random.default_rng([settings.seed, number])
    rows = np.sort(rng.choice(len(ids), min(settings.examples, len(ids)), replace=False))
    figures.posterior_examples(
        read_by_id(shards, ids[rows]),
        predictions.rho_samples[rows],
        predictions.rho_single[rows],
        n[rows],
        k[rows],
        question,
        Path(figures_dir) / f"votes_fig{3 + number}_posteriors_{question}.png",
    )


def _truth_table(summary: dict) -> pd.DataFrame:
    rows = []
    for question, entry in summary["questions"].items():
        for model, result in entry["models"].items():
            rows.append(
                {"question": question, "model": model, "n_test": entry["n_test"], **result["truth"]}
            )
    return pd.DataFrame(rows)
