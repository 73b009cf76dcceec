import numpy as np
import pandas as pd
import pytest

from gzxai.core.trees import load_tree
from gzxai.ensemble import evaluate

COLUMNS = load_tree().kaggle_columns


def frame(values, ids):
    return pd.DataFrame(values, index=pd.Index(ids, name="galaxy_id"), columns=COLUMNS)


@pytest.fixture
def world():
    rng = np.random.default_rng(0)
    ids = np.arange(100)
    labels = frame(rng.uniform(size=(100, 37)), ids)
    splits = pd.Series(np.repeat(["train", "val", "test"], [60, 20, 20]), index=ids)
    return ids, labels, splits


def test_the_ensemble_is_the_mean_of_the_members(world):
    ids, _, _ = world
    a, b = frame(np.zeros((100, 37)), ids), frame(np.ones((100, 37)), ids)
    np.testing.assert_allclose(evaluate.average({"a": a, "b": b}).to_numpy(), 0.5)
    with pytest.raises(ValueError, match="different galaxies"):
        evaluate.average({"a": a, "b": b.iloc[:50]})


def test_table1_scores_members_ensemble_and_the_mean_predictor(world):
    _, labels, splits = world
    perfect = labels.copy()
    off = labels + 0.1
    members = {"perfect": perfect, "off": off}
    summaries = {name: {"architecture": "x", "epochs": 3} for name in members}
    table = evaluate.table1(
        members, evaluate.average(members), labels, splits, summaries
    ).set_index("model")
    assert table.loc["perfect", "test_rmse"] == pytest.approx(0.0)
    assert table.loc["off", "val_rmse"] == pytest.approx(0.1)
    assert table.loc["ensemble", "train_rmse"] == pytest.approx(0.05)
    train_mean = labels.iloc[:60].mean()
    expected = np.sqrt(((labels.iloc[80:] - train_mean) ** 2).to_numpy().mean())
    assert table.loc["training-set mean", "test_rmse"] == pytest.approx(expected)
    assert "| ensemble | mean of members | N/A |" in evaluate.markdown_table(table.reset_index())


def test_q1_disagreements_and_submission(world):
    ids, labels, _ = world
    labels = labels.copy()
    predicted = labels.copy()
    labels.loc[:, ["Class1.1", "Class1.2", "Class1.3"]] = [0.7, 0.2, 0.1]
    predicted.loc[:, ["Class1.1", "Class1.2", "Class1.3"]] = [0.7, 0.2, 0.1]
    predicted.loc[ids[:8], ["Class1.1", "Class1.2", "Class1.3"]] = [0.2, 0.75, 0.05]
    audit = evaluate.q1_disagreements(predicted, labels)
    assert audit["disagree"].mean() == pytest.approx(0.08)
    first = audit.iloc[0]
    assert (first.model_answer, first.vote_answer) == ("features or disk", "smooth")
    assert first.gap == pytest.approx(0.55)
    predicted.loc[ids[0], "Class2.1"] = 1.4
    sub = evaluate.submission(predicted, ids[:3])
    assert sub.columns.tolist() == ["GalaxyID", *COLUMNS]
    assert sub["Class2.1"].max() <= 1.0
