"""Targets from raw GZ2 vote counts: for a binary question, k votes for the answer of N votes
for the question (Walmsley et al. 2020 §2.1), the same code for real and synthetic tables."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gzxai.core.trees import DecisionTree, load_tree


@dataclass(frozen=True)
class BinaryQuestion:
    """One answer of one GZ2 task against all its answers, kept where N ≥ ``min_votes``."""

    name: str
    task: str
    answer: str
    min_votes: int


#: The paper's two questions and cuts (§2.1: N ≥ 36 for Smooth or Featured, N_bar ≥ 10).
SMOOTH = BinaryQuestion("smooth", "t01_smooth_or_features", "a01_smooth", 36)
BAR = BinaryQuestion("bar", "t03_bar", "a06_bar", 10)


def count_columns(question: BinaryQuestion, tree: DecisionTree | None = None) -> list[str]:
    """The GZ2 ``*_count`` columns of the question's task, the answer's first."""
    task = (tree or load_tree()).task(question.task)
    names = [f"{task.gz2}_{a.gz2}_count" for a in task.answers]
    answer = f"{task.gz2}_{question.answer}_count"
    if answer not in names:
        raise KeyError(f"{question.task} has no answer {question.answer}")
    return [answer, *(n for n in names if n != answer)]


def binary_targets(gz2: pd.DataFrame, question: BinaryQuestion) -> pd.DataFrame:
    """``k`` and ``N`` (int64) by dr7objid for the galaxies with N ≥ the question's cut."""
    columns = count_columns(question)
    counts = gz2[columns].to_numpy(np.int64)
    targets = pd.DataFrame(
        {"k": counts[:, 0], "n": counts.sum(axis=1)},
        index=pd.Index(gz2["dr7objid"].to_numpy(np.int64), name="dr7objid"),
    )
    return targets[targets["n"] >= question.min_votes]


def tree_targets(gz2: pd.DataFrame, tree: DecisionTree | None = None) -> pd.DataFrame:
    """The raw counts of all 37 answers (int64, tree order) by dr7objid, for the galaxies with
    at least one vote for the first question (the Dirichlet model's targets)."""
    tree = tree or load_tree()
    columns = tree.gz2_columns("count")
    counts = gz2[columns].to_numpy(np.int64)
    targets = pd.DataFrame(
        counts, columns=columns, index=pd.Index(gz2["dr7objid"].to_numpy(np.int64), name="dr7objid")
    )
    first = tree.answer_slices()[tree.flow_order()[0].gz2]
    return targets[counts[:, first].sum(axis=1) > 0]
