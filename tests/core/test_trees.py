import numpy as np
import pytest

from gzxai.core.trees import GZ2_SUFFIXES, load_tree

from ..conftest import shared_file

# SOURCES.md: answers per question and the value each question must sum to.
KAGGLE_ANSWERS = [3, 2, 2, 2, 4, 2, 3, 7, 3, 3, 6]
KAGGLE_PARENTS = {
    "Class1": None, "Class2": "Class1.2", "Class3": "Class2.2", "Class4": "Class2.2",
    "Class5": "Class2.2", "Class6": None, "Class7": "Class1.1", "Class8": "Class6.1",
    "Class9": "Class2.1", "Class10": "Class4.1", "Class11": "Class4.1",
}  # fmt: skip


def test_kaggle_tree_shape_matches_the_competition():
    tree = load_tree()
    assert [len(t.answers) for t in tree.tasks] == KAGGLE_ANSWERS
    assert len(tree.kaggle_columns) == 37
    assert tree.kaggle_columns[0] == "Class1.1"
    assert tree.kaggle_columns[-1] == "Class11.6"
    assert {t.kaggle: t.kaggle_parent for t in tree.tasks} == KAGGLE_PARENTS


def test_gz2_columns_are_the_real_table_columns():
    described = shared_file("gz2_hart16.txt").read_text().split()
    tree = load_tree()
    for suffix in GZ2_SUFFIXES:
        for column in tree.gz2_columns(suffix):
            assert column in described, column


def test_flow_order_puts_every_task_after_its_sources():
    tree = load_tree()
    order = [t.gz2 for t in tree.flow_order()]
    assert order[0] == "t01_smooth_or_features"
    for task in tree.tasks:
        for answer in task.answers:
            if answer.next:
                assert order.index(answer.next) > order.index(task.gz2)


def test_kaggle_fractions_follow_the_weighting_and_satisfy_the_sums():
    tree = load_tree()
    counts = np.zeros((1, 37))
    idx = tree.answer_index
    # 40 volunteers: 10 smooth, 30 features; of those 20 not edge-on, 5 of them see a bar.
    counts[0, idx("Class1.1")], counts[0, idx("Class1.2")] = 10, 30
    counts[0, idx("Class2.1")], counts[0, idx("Class2.2")] = 10, 20
    counts[0, idx("Class3.1")], counts[0, idx("Class3.2")] = 5, 15
    fractions = tree.kaggle_fractions(counts)
    assert fractions[0, idx("Class1.2")] == pytest.approx(0.75)
    assert fractions[0, idx("Class2.2")] == pytest.approx(0.75 * 20 / 30)
    assert fractions[0, idx("Class3.1")] == pytest.approx(0.5 * 5 / 20)
    deviations = tree.kaggle_sum_deviations(fractions)
    reached = [t.kaggle in ("Class1", "Class2", "Class3") for t in tree.tasks]
    assert deviations[0, reached] == pytest.approx(0.0)


def test_sum_deviation_finds_a_broken_question():
    tree = load_tree()
    fractions = np.zeros((1, 37))
    fractions[0, tree.answer_index("Class1.1")] = 1.0
    fractions[0, tree.answer_index("Class7.1")] = 0.7  # should sum to Class1.1 = 1.0
    fractions[0, tree.answer_index("Class6.2")] = 1.0
    deviations = tree.kaggle_sum_deviations(fractions)[0]
    broken = [t.kaggle for t, d in zip(tree.tasks, deviations, strict=True) if d > 1e-9]
    assert broken == ["Class7"]
    assert deviations.max() == pytest.approx(0.3)
