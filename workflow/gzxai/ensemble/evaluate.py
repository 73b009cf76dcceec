"""Ensemble the members, score them (the paper's Table 1) and audit Q1 disagreements (§5.2).

The ensemble is the mean of the members' predictions, as in the paper. Every RMSE is over
all 37 outputs of the galaxies of one split. Beside the members the table reports the RMSE
of predicting the training-set mean for every galaxy, the floor a model must beat.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from gzxai.core import tables
from gzxai.core.splits import SPLITS
from gzxai.core.trees import load_tree

Q1 = ["Class1.1", "Class1.2", "Class1.3"]
Q1_NAMES = np.array(["smooth", "features or disk", "star or artifact"])


def rmse(predictions: np.ndarray, truth: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(predictions) - np.asarray(truth)) ** 2)))


def average(members: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Mean of the members' predictions, over the galaxies all members predicted."""
    frames = list(members.values())
    common = frames[0].index
    for frame in frames[1:]:
        common = common.intersection(frame.index)
    if len(common) < max(len(f) for f in frames):
        raise ValueError("members predicted different galaxies; rerun their predict jobs")
    return sum(f.loc[common] for f in frames) / len(frames)


def table1(
    members: Mapping[str, pd.DataFrame],
    ensemble: pd.DataFrame,
    labels: pd.DataFrame,
    splits: pd.Series,
    summaries: Mapping[str, dict],
) -> pd.DataFrame:
    """Epochs and train / val / test RMSE per member, the ensemble and the mean predictor."""
    columns = load_tree().kaggle_columns
    rows = []

    def scores(predicted: pd.DataFrame) -> dict[str, float]:
        out = {}
        for split in SPLITS:
            ids = splits.index[splits == split]
            out[f"{split}_rmse"] = rmse(predicted.loc[ids, columns], labels.loc[ids, columns])
        return out

    for name, predicted in members.items():
        summary = summaries[name]
        rows.append(
            {
                "model": name,
                "architecture": summary["architecture"],
                "epochs": summary["epochs"],
                **scores(predicted),
            }
        )
    rows.append(
        {"model": "ensemble", "architecture": "mean of members", "epochs": None, **scores(ensemble)}
    )
    train_mean = labels.loc[splits.index[splits == "train"], columns].mean()
    constant = pd.DataFrame(
        [train_mean.to_numpy()] * len(labels), index=labels.index, columns=columns
    )
    rows.append(
        {
            "model": "training-set mean",
            "architecture": "constant",
            "epochs": None,
            **scores(constant),
        }
    )
    return pd.DataFrame(rows)


def markdown_table(table: pd.DataFrame) -> str:
    header = ["Model", "Architecture", "Epochs", "Train RMSE", "Val RMSE", "Test RMSE"]
    rows = [
        [r.model, r.architecture, "N/A" if pd.isna(r.epochs) else int(r.epochs)]
        + [f"{value:.5f}" for value in (r.train_rmse, r.val_rmse, r.test_rmse)]
        for r in table.itertuples()
    ]
    return tables.markdown(header, rows)


def submission(ensemble: pd.DataFrame, unlabelled_ids: np.ndarray) -> pd.DataFrame:
    """Kaggle submission format: GalaxyID and the 37 answers, for the unlabelled images."""
    columns = load_tree().kaggle_columns
    frame = ensemble.loc[unlabelled_ids, columns].clip(0.0, 1.0).reset_index()
    return frame.rename(columns={frame.columns[0]: "GalaxyID"}).sort_values("GalaxyID")


def q1_disagreements(ensemble: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """Per labelled galaxy: the ensemble's and the volunteers' Q1 answers and their gap."""
    ids = labels.index
    predicted = ensemble.loc[ids, Q1].to_numpy()
    votes = labels.loc[ids, Q1].to_numpy()
    model_answer, vote_answer = predicted.argmax(axis=1), votes.argmax(axis=1)
    return pd.DataFrame(
        {
            "galaxy_id": ids,
            "model_answer": Q1_NAMES[model_answer],
            "vote_answer": Q1_NAMES[vote_answer],
            "model_confidence": predicted.max(axis=1),
            "vote_share_of_model_answer": votes[np.arange(len(ids)), model_answer],
            "vote_share_of_vote_answer": votes.max(axis=1),
            "disagree": model_answer != vote_answer,
            "gap": np.abs(predicted - votes).sum(axis=1) / 2,
        }
    )
