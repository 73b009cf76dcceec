import pandas as pd
import pytest

from gzxai.core.io import atomic_path, write_parquet


def test_atomic_path_renames_on_success(tmp_path):
    target = tmp_path / "out" / "table.parquet"
    write_parquet(pd.DataFrame({"a": [1, 2]}), target)
    assert pd.read_parquet(target)["a"].tolist() == [1, 2]
    assert [p.name for p in target.parent.iterdir()] == ["table.parquet"]


def test_a_failed_write_leaves_nothing_under_the_final_name(tmp_path):
    target = tmp_path / "table.csv"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half a fi")
        raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []
