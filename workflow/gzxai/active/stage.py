"""File edges of the active-learning stage: a repeat's sets, one campaign iteration, and the
evaluation of every iteration's scores.

An iteration reads the labelled list the previous one wrote (or the repeat's initial set),
trains on those galaxies' votes (continuing from the previous model if ``warm_start``),
scores the evaluation set with T MC passes, acquires the next galaxies and writes the new
labelled list: one Snakemake job per (question, strategy, repeat, iteration), so a killed
campaign resumes at its last finished iteration.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from gzxai.active import campaign
from gzxai.active.bald import binomial_bald, expected_votes
from gzxai.active.settings import EvaluationSettings, IterationSettings, SetSettings
from gzxai.core.errors import InputError
from gzxai.core.io import write_csv, write_json, write_parquet

log = logging.getLogger(__name__)

ROLES = ("evaluation", "initial", "pool")
ID = "dr7objid"


def question_targets(gz2: str | Path, images: str | Path | None, settings) -> pd.DataFrame:
    """(k, N) of the question for the imaged GZ2 galaxies with N ≥ its cut, by dr7objid,
    with their redshift where the table has one."""
    from gzxai.core.arrays import with_images
    from gzxai.votes.targets import binary_targets

    table = with_images(pd.read_parquet(gz2), images, ID, "active learning")
    targets = binary_targets(table, settings.question())
    if "redshift" in table:
        targets["redshift"] = table.set_index(ID).loc[targets.index, "redshift"].to_numpy()
    return targets


def run_sets(
    *, gz2: str, images: str | None, settings: SetSettings, repeat: int, out: str
) -> pd.DataFrame:
    """One row per galaxy of the campaign: ``evaluation``, ``initial`` (this repeat's first
    labelled galaxies) or ``pool``."""
    targets = question_targets(gz2, images, settings.targets)
    ids = targets.index.to_numpy(np.int64)
    evaluation = campaign.evaluation_set(ids, settings.evaluation_galaxies, settings.seed)
    pool = campaign.pool_of(ids, evaluation, settings.pool_galaxies, settings.seed)
    initial = campaign.initial_set(pool, settings.initial_galaxies, settings.seed, repeat)
    roles = pd.DataFrame(
        {
            ID: np.concatenate([evaluation, pool]),
            "role": ["evaluation"] * len(evaluation)
            + np.where(np.isin(pool, initial), "initial", "pool").tolist(),
        }
    )
    write_parquet(roles, out)
    log.info("repeat %d: %s", repeat, roles["role"].value_counts().to_dict())
    return roles


def read_ids(path: str | Path) -> np.ndarray:
    table = pd.read_parquet(path)
    if ID not in table:
        raise InputError(f"{path}: no {ID} column (a list this stage writes)")
    return table[ID].to_numpy(np.int64)


def _draw_seeds(settings: IterationSettings, key: Sequence[int], batch: int) -> np.ndarray:
    """The T stateless seeds (T × 2) of one batch of one iteration's MC passes."""
    state = np.random.SeedSequence([settings.seed, *key, batch]).generate_state(
        2 * settings.mc_passes, np.uint32
    )
    return state.reshape(settings.mc_passes, 2).astype(np.int64)


def mc_rho(model_path: Path, shards: Sequence[str], ids: np.ndarray, settings, key) -> np.ndarray:
    """T MC samples of ρ̂ (galaxies × T) for the given galaxies, batch by batch."""
    from gzxai.cnn.train import load_model
    from gzxai.core.arrays import read_by_id
    from gzxai.votes.mc import MonteCarlo

    mc = MonteCarlo(load_model(model_path))
    images = read_by_id(shards, ids)
    batches = []
    for batch, start in enumerate(range(0, len(ids), settings.mc_batch_size)):
        chunk = images[start : start + settings.mc_batch_size]
        batches.append(mc.samples(chunk, _draw_seeds(settings, key, batch))[:, 0, :])
    return np.concatenate(batches) if batches else np.zeros((0, settings.mc_passes))


def run_iteration(
    *,
    gz2: str,
    images: str | None,
    shards: Sequence[str],
    sets: str,
    labelled: str | None,
    previous_model: str | None,
    truth: str | None,
    strategy: str,
    repeat: int,
    iteration: int,
    settings: IterationSettings,
    out_dir: str,
    threads: int = 1,
) -> dict:
    """Train on the labelled galaxies, score the evaluation set, acquire the next ones."""
    from gzxai.cnn.models import ModelConfig
    from gzxai.cnn.train import TrainingConfig, train_member
    from gzxai.core.splits import assign_splits

    start = time.perf_counter()
    out = Path(out_dir)
    targets = question_targets(gz2, images, settings.targets)
    roles = pd.read_parquet(sets).set_index(ID)["role"]
    labelled_ids = (
        roles.index[roles == "initial"].to_numpy() if labelled is None else read_ids(labelled)
    )
    evaluation = roles.index[roles == "evaluation"].to_numpy(np.int64)
    unlabelled = np.setdiff1d(roles.index[roles != "evaluation"].to_numpy(np.int64), labelled_ids)

    parts = pd.Series(
        assign_splits(labelled_ids, settings.seed, settings.validation_fraction, 0.0),
        index=pd.Index(labelled_ids, name=ID),
    )
    train_cfg = TrainingConfig.from_config(settings.training.training)
    if settings.training_steps is not None:
        n_train = int((parts == "train").sum())
        epochs = campaign.epochs_for_steps(settings.training_steps, n_train, train_cfg.batch_size)
        log.info("%d training galaxies: %d epochs for %d steps", n_train, epochs,
                 settings.training_steps)  # fmt: skip
        train_cfg = replace(train_cfg, max_epochs=epochs)
    summary = train_member(
        model_cfg=ModelConfig.from_config(settings.training.model),
        train_cfg=train_cfg,
        shard_paths=[Path(p) for p in shards],
        labels=targets.loc[labelled_ids, ["k", "n"]].astype(np.float32),
        splits=parts,
        image_size=settings.training.image_size,
        seed=settings.seed + 1000 * repeat + iteration,
        work_dir=out / "work",
        model_path=out / "model.keras",
        history_path=out / "history.csv",
        summary_path=out / "training.json",
        threads=threads,
        initial_model=Path(previous_model) if settings.warm_start and previous_model else None,
    )
    # The passes' draws depend on (repeat, iteration) only: both strategies' first models,
    # trained on the same initial set, score the evaluation set identically.
    key = (repeat, iteration)
    rho_eval = mc_rho(out / "model.keras", shards, evaluation, settings, (*key, 0))
    true_rho = _true_rho(truth, settings.targets, evaluation)
    evaluated = targets.loc[evaluation]
    scores = campaign.evaluation_scores(
        rho_eval, evaluated["k"].to_numpy(), evaluated["n"].to_numpy(), true_rho
    )
    labelled_fraction = targets.loc[labelled_ids, "k"] / targets.loc[labelled_ids, "n"]
    # The reference every model must beat: the labelled galaxies' mean vote fraction.
    constant = float(
        np.sqrt(np.mean((evaluated["k"] / evaluated["n"] - labelled_fraction.mean()) ** 2))
    )
    n_votes = expected_votes(targets.loc[labelled_ids, "n"].to_numpy())
    pool_scores = None
    if strategy == "bald":
        rho_pool = mc_rho(out / "model.keras", shards, unlabelled, settings, (*key, 1))
        pool_scores = binomial_bald(rho_pool, n_votes)
    acquired = campaign.acquire(
        strategy, unlabelled, pool_scores, settings.acquired_per_iteration,
        seed=settings.seed, repeat=repeat, iteration=iteration,
    )  # fmt: skip
    _write_lists(out, targets, labelled_ids, acquired, unlabelled, pool_scores)
    write_parquet(
        pd.DataFrame(
            {
                ID: evaluation,
                "rho_mean": rho_eval.mean(axis=1),
                "rho_std": rho_eval.std(axis=1),
                "bald": binomial_bald(rho_eval, n_votes),
            }
        ),
        out / "evaluation.parquet",
    )
    history = pd.read_csv(out / "history.csv")
    metrics = {
        "strategy": strategy,
        "repeat": repeat,
        "iteration": iteration,
        "n_labelled": len(labelled_ids),
        "n_acquired": len(acquired),
        "expected_votes": n_votes,
        "training_loss": float(history["loss"].iloc[summary["best_epoch"] - 1]),
        **scores.as_dict(),
        "rmse_vs_fraction_of_labelled_mean": constant,
        "epochs": summary["epochs"],
        "seconds": round(time.perf_counter() - start, 1),
    }
    write_json(metrics, out / "metrics.json")
    log.info(
        "%s repeat %d iteration %d: %d labelled, RMSE %.4f against k/N%s, %.0f s",
        strategy, repeat, iteration, len(labelled_ids), scores.rmse_vs_fraction,
        "" if scores.rmse_vs_true_rho is None else f", {scores.rmse_vs_true_rho:.4f} against ρ",
        metrics["seconds"],
    )  # fmt: skip
    return metrics


def _write_lists(
    out: Path,
    targets: pd.DataFrame,
    labelled: np.ndarray,
    acquired: np.ndarray,
    unlabelled: np.ndarray,
    pool_scores: np.ndarray | None,
) -> None:
    """The next iteration's labelled list, and what this one acquired with its votes."""
    write_parquet(pd.DataFrame({ID: np.sort(np.concatenate([labelled, acquired]))}),
                  out / "labelled.parquet")  # fmt: skip
    chosen = targets.loc[acquired]
    bald = np.full(len(acquired), np.nan)
    if pool_scores is not None:
        bald = pd.Series(pool_scores, index=unlabelled).loc[acquired].to_numpy()
    table = pd.DataFrame(
        {
            ID: acquired,
            "bald": bald,
            "k": chosen["k"].to_numpy(),
            "n": chosen["n"].to_numpy(),
            "fraction": (chosen["k"] / chosen["n"]).to_numpy(),
            "redshift": chosen["redshift"].to_numpy() if "redshift" in chosen else np.nan,
        }
    )
    write_parquet(table, out / "acquired.parquet")


def _true_rho(truth: str | None, question, ids: np.ndarray) -> np.ndarray | None:
    """The synthetic truth's latent probability of the question's answer (None for real data)."""
    if not truth:
        return None
    column = f"rho_{question.task}_{question.answer}"
    table = pd.read_parquet(truth, columns=[ID, column]).set_index(ID)
    return table.loc[ids, column].to_numpy(float)


def curves(metrics: Sequence[str], frac: float) -> pd.DataFrame:
    """Every iteration's metrics with their LOWESS-smoothed values per (strategy, repeat)."""
    import json

    table = pd.DataFrame([json.loads(Path(p).read_text()) for p in metrics])
    table = table.sort_values(["strategy", "repeat", "n_labelled"], ignore_index=True)
    values = ["training_loss", "evaluation_loss", "rmse_vs_fraction", "rmse_vs_true_rho"]
    for value in values:
        table[f"{value}_smoothed"] = np.nan
        if table[value].isna().all():
            continue
        for _, rows in table.groupby(["strategy", "repeat"]):
            table.loc[rows.index, f"{value}_smoothed"] = campaign.smoothed(rows, value, frac)
    return table


def run_evaluate(
    *,
    question: str,
    metrics: Sequence[str],
    acquired: Sequence[str],
    evaluation: str,
    shards: Sequence[str],
    gz2: str,
    settings: EvaluationSettings,
    out_dir: str,
    figures_dir: str,
) -> dict:
    """Curves, label savings, the acquired galaxies' votes and redshifts, the most and least
    informative evaluation galaxies, and the summary."""
    from gzxai.active import figures

    out, figures_out = Path(out_dir), Path(figures_dir)
    table = curves(metrics, settings.lowess_frac)
    write_csv(table, out / "curves.csv")
    result: dict = {"question": question, **_campaign_shape(table)}
    for against in ("fraction", "true_rho"):
        value = f"rmse_vs_{against}_smoothed"
        if table[value].isna().all():
            continue
        savings = campaign.label_saving(table.assign(rmse_smoothed=table[value]))
        write_csv(savings, out / f"label_saving_vs_{against}.csv")
        result[f"label_saving_vs_{against}"] = campaign.saving_summary(savings)
        if against == "fraction":
            figure = figures_out / f"active_{question}_label_saving.png"
            figures.label_saving(savings, PAPER_BEST_SAVING.get(question), figure)
    result["final_rmse_vs_fraction"] = _final(table, "rmse_vs_fraction")
    result["final_rmse_of_labelled_mean"] = _final(table, "rmse_vs_fraction_of_labelled_mean")
    result["final_rmse_vs_true_rho"] = _final(table, "rmse_vs_true_rho")
    result["paper_best_saving"] = PAPER_BEST_SAVING.get(question)
    result["in_words"] = _sentence(result)
    picked = pd.concat([pd.read_parquet(p).assign(source=str(p)) for p in acquired])
    picked["strategy"] = picked["source"].str.extract(r"/(bald|random)/")[0]
    picked["iteration"] = picked["source"].str.extract(r"iteration-(\d+)")[0].astype(int)
    write_csv(picked.drop(columns="source"), out / "acquired.csv")
    figures.learning_curves(table, figures_out / f"active_{question}_curves.png")
    figures.acquired_distributions(picked, figures_out / f"active_{question}_acquired.png")
    figures.informative_examples(
        pd.read_parquet(evaluation), shards, settings.examples,
        figures_out / f"active_{question}_informative.png",
    )  # fmt: skip
    write_json(result, out / "summary.json")
    log.info("%s: %s", question, result["in_words"])
    return result


#: Walmsley et al. (2020) §3.6: "at best" fewer newly labelled galaxies for equal RMSE.
PAPER_BEST_SAVING = {"smooth": 0.60, "bar": 0.35}


def _campaign_shape(table: pd.DataFrame) -> dict:
    first = table[table["iteration"] == 0]
    return {
        "strategies": sorted(table["strategy"].unique().tolist()),
        "repeats": int(table["repeat"].nunique()),
        "iterations": int(table["iteration"].nunique()),
        "initial_galaxies": int(first["n_labelled"].iloc[0]),
        "acquired_per_iteration": int(table["n_acquired"].iloc[0]),
    }


def _final(table: pd.DataFrame, value: str) -> dict:
    """Mean and spread over repeats of the last iteration's (unsmoothed) value per strategy."""
    if table[value].isna().all():
        return {}
    last = table[table["iteration"] == table["iteration"].max()]
    return {
        strategy: {
            "mean": float(rows[value].mean()),
            "std": float(rows[value].std(ddof=1)) if len(rows) > 1 else None,
            "n_labelled": int(rows["n_labelled"].iloc[0]),
        }
        for strategy, rows in last.groupby("strategy")
    }


def _sentence(result: dict) -> str:
    saving = result.get("label_saving_vs_fraction", {})
    best, final = saving.get("best") or {}, saving.get("final") or {}

    def percent(entry: dict) -> str:
        if not entry or entry.get("mean") is None:
            return "not reached"
        spread = "" if entry.get("std") is None else f" ± {100 * entry['std']:.0f}"
        return (
            f"{100 * entry['mean']:.0f}{spread}% "
            f"({entry['repeats_reached']} of {entry['repeats']} repeats)"
        )

    paper = result.get("paper_best_saving")
    quoted = "" if paper is None else f"; the paper: at best {100 * paper:.0f}%"
    return (
        f"BALD against random acquisition, RMSE against k/N: newly labelled galaxies saved at "
        f"random's last RMSE {percent(final)}, at best {percent(best)}{quoted}."
    )
