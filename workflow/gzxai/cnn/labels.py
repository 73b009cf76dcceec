"""The training labels of the ensemble members: the Kaggle table's 37 vote fractions."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gzxai.core.trees import load_tree


def kaggle_labels(table_path: str | Path) -> pd.DataFrame:
    """The labelled galaxies' 37 vote fractions (float32), indexed by galaxy_id."""
    table = pd.read_parquet(table_path)
    labelled = table[table["labelled"]].set_index("galaxy_id")
    return labelled[load_tree().kaggle_columns].astype("float32")
