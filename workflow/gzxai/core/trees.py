"""The Galaxy Zoo decision tree, read from ``resources/trees/galaxy_zoo_2.yaml``.

Everything that depends on the tree (Kaggle column order, GZ2 column names, which answer a
question hangs from, the order in which volunteers meet the tasks) is derived here from that
one data file; no other module hard-codes column offsets.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from gzxai import RESOURCES

TREE_FILE = RESOURCES / "trees" / "galaxy_zoo_2.yaml"

#: Suffixes of the per-answer columns in the GZ2 Hart et al. (2016) table.
GZ2_SUFFIXES = ("count", "weight", "fraction", "weighted_fraction", "debiased", "flag")


@dataclass(frozen=True)
class Answer:
    gz2: str
    kaggle: str
    label: str
    next: str | None


@dataclass(frozen=True)
class Task:
    gz2: str
    kaggle: str
    question: str
    kaggle_parent: str | None
    answers: tuple[Answer, ...]

    def gz2_stems(self) -> list[str]:
        return [f"{self.gz2}_{a.gz2}" for a in self.answers]


@dataclass(frozen=True)
class DecisionTree:
    tasks: tuple[Task, ...]

    @property
    def kaggle_columns(self) -> list[str]:
        """The 37 Kaggle answer columns in file order (Class1.1 ... Class11.6)."""
        return [a.kaggle for t in self.tasks for a in t.answers]

    @property
    def gz2_stems(self) -> list[str]:
        """The 37 GZ2 answer stems in the same order as :attr:`kaggle_columns`."""
        return [stem for t in self.tasks for stem in t.gz2_stems()]

    def gz2_columns(self, suffix: str) -> list[str]:
        if suffix not in GZ2_SUFFIXES:
            raise ValueError(
                f"unknown GZ2 column suffix {suffix!r}; expected one of {GZ2_SUFFIXES}"
            )
        return [f"{stem}_{suffix}" for stem in self.gz2_stems]

    def task(self, name: str) -> Task:
        for t in self.tasks:
            if name in (t.gz2, t.kaggle):
                return t
        raise KeyError(f"no task {name!r} in {TREE_FILE.name}")

    def answer_slices(self) -> dict[str, slice]:
        """Column range of each task's answers, keyed by GZ2 task name."""
        slices, start = {}, 0
        for t in self.tasks:
            slices[t.gz2] = slice(start, start + len(t.answers))
            start += len(t.answers)
        return slices

    def answer_index(self, name: str) -> int:
        """Column index of an answer given by Kaggle name or full GZ2 stem."""
        for i, (kaggle, stem) in enumerate(zip(self.kaggle_columns, self.gz2_stems, strict=True)):
            if name in (kaggle, stem):
                return i
        raise KeyError(f"no answer {name!r} in {TREE_FILE.name}")

    def flow_order(self) -> list[Task]:
        """Tasks ordered so that every task comes after all answers that lead to it."""
        incoming = {t.gz2: 0 for t in self.tasks}
        # dict.fromkeys, not a set: a set of strings iterates in an order that changes with
        # the process's hash seed, and the vote simulation draws in this order.
        for t in self.tasks:
            for nxt in dict.fromkeys(a.next for a in t.answers if a.next):
                incoming[nxt] += 1
        ready = [t for t in self.tasks if incoming[t.gz2] == 0]
        order: list[Task] = []
        while ready:
            current = ready.pop(0)
            order.append(current)
            for nxt in dict.fromkeys(a.next for a in current.answers if a.next):
                incoming[nxt] -= 1
                if incoming[nxt] == 0:
                    ready.append(self.task(nxt))
        if len(order) != len(self.tasks):
            raise ValueError(f"{TREE_FILE.name}: the task flow has a cycle")
        return order

    def kaggle_fractions(self, counts: np.ndarray) -> np.ndarray:
        """Kaggle vote fractions from raw GZ2 answer counts, shape (n, 37) -> (n, 37).

        Each question's answers are fractions of that question's votes, multiplied by the value
        of the answer the question hangs from (Kaggle's weighting); a question nobody reached
        gets zeros.
        """
        counts = np.asarray(counts, dtype=np.float64)
        out = np.zeros_like(counts)
        slices = self.answer_slices()
        for t in self.tasks:
            block = counts[:, slices[t.gz2]]
            total = block.sum(axis=1, keepdims=True)
            frac = np.divide(block, total, out=np.zeros_like(block), where=total > 0)
            parent = (
                1.0 if t.kaggle_parent is None else out[:, [self.answer_index(t.kaggle_parent)]]
            )
            out[:, slices[t.gz2]] = frac * parent
        return out

    def kaggle_sum_deviations(self, fractions: np.ndarray) -> np.ndarray:
        """|sum of a question's answers − the value it must sum to|, shape (n, n_questions).

        Parents are processed in file order, which is how Kaggle defined the tree (a parent is
        always listed before its children).
        """
        fractions = np.asarray(fractions, dtype=np.float64)
        slices = self.answer_slices()
        deviations = np.empty((fractions.shape[0], len(self.tasks)))
        for j, t in enumerate(self.tasks):
            total = fractions[:, slices[t.gz2]].sum(axis=1)
            target = (
                1.0 if t.kaggle_parent is None else fractions[:, self.answer_index(t.kaggle_parent)]
            )
            deviations[:, j] = np.abs(total - target)
        return deviations


@functools.cache
def load_tree(path: Path = TREE_FILE) -> DecisionTree:
    """Read and check the decision tree; the result is cached (the file is tiny and static)."""
    raw = yaml.safe_load(Path(path).read_text())
    tasks = tuple(
        Task(
            gz2=t["gz2"],
            kaggle=t["kaggle"],
            question=t["question"],
            kaggle_parent=t["kaggle_parent"],
            answers=tuple(Answer(**a) for a in t["answers"]),
        )
        for t in raw["tasks"]
    )
    tree = DecisionTree(tasks)
    _check(tree, Path(path))
    return tree


def _check(tree: DecisionTree, path: Path) -> None:
    names = {t.gz2 for t in tree.tasks}
    kaggle = tree.kaggle_columns
    if len(set(kaggle)) != len(kaggle):
        raise ValueError(f"{path}: duplicate Kaggle answer names")
    for t in tree.tasks:
        for a in t.answers:
            if a.next is not None and a.next not in names:
                raise ValueError(f"{path}: answer {a.kaggle} leads to unknown task {a.next!r}")
            if not a.kaggle.startswith(t.kaggle + "."):
                raise ValueError(f"{path}: answer {a.kaggle} listed under {t.kaggle}")
        if t.kaggle_parent is not None and kaggle.index(t.kaggle_parent) >= kaggle.index(
            t.answers[0].kaggle
        ):
            raise ValueError(f"{path}: {t.kaggle} hangs from {t.kaggle_parent}, listed after it")
    tree.flow_order()
