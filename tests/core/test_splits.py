import numpy as np
import pandas as pd
import pytest

from gzxai.core.splits import assign_splits


def test_splits_depend_only_on_id_and_seed():
    ids = np.arange(100_000, 120_000)
    splits = assign_splits(ids, seed=7, val_fraction=0.05, test_fraction=0.1)
    counts = pd.Series(splits).value_counts(normalize=True)
    assert counts["test"] == pytest.approx(0.10, abs=0.01)
    assert counts["val"] == pytest.approx(0.05, abs=0.01)
    shuffled = np.random.default_rng(0).permutation(len(ids))
    np.testing.assert_array_equal(assign_splits(ids[shuffled], 7, 0.05, 0.1), splits[shuffled])
    assert (assign_splits(ids, 8, 0.05, 0.1) != splits).mean() > 0.1
