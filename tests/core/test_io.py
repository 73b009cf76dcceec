import pandas as pd
import pytest

from gzxai.core.io import atomic_path, write_csv, write_parquet


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


def test_a_gzipped_csv_is_the_same_bytes_whenever_it_is_written(tmp_path, monkeypatch):
    import gzip
    import time

    table = pd.DataFrame({"objid": [1, 2], "value": [0.5, 0.25]})
    for name, now in (("a.csv.gz", 1_000_000.0), ("b.csv.gz", 2_000_000.0)):
        monkeypatch.setattr(time, "time", lambda now=now: now)
        write_csv(table, tmp_path / name)
    monkeypatch.undo()
    assert (tmp_path / "a.csv.gz").read_bytes() == (tmp_path / "b.csv.gz").read_bytes()
    assert gzip.decompress((tmp_path / "b.csv.gz").read_bytes()).startswith(b"objid,value")
