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


def test_a_subsample_has_the_asked_size_is_nested_and_leaves_every_galaxy_its_part():
    from gzxai.core.splits import assign_splits, subsample

    ids = np.arange(10_000, 20_000, dtype=np.int64)
    small, large = subsample(ids, 7, 2_000), subsample(ids, 7, 5_000)
    assert small.sum() == 2_000 and large.sum() == 5_000
    assert np.all(large[small])  # a smaller sample is part of every larger one
    assert subsample(ids, 7, None).all() and subsample(ids, 7, 20_000).all()
    assert not np.array_equal(small, subsample(ids, 8, 2_000))
    # Membership is drawn independently of the parts: the test share stays the split's.
    parts = assign_splits(ids, 7, 0.1, 0.3)
    assert np.mean(parts[small] == "test") == pytest.approx(0.3, abs=0.03)
    # A galaxy's membership depends on its id and the seed alone, not on its neighbours.
    np.testing.assert_array_equal(subsample(ids[::-1], 7, 2_000), small[::-1])
