"""The direct CNN control (paper §4.6): a CNN trained on the catalogue's bar lengths: its labels
and predictions."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from gzxai.bars.units import Conventions, scaled_to_catalogue_units
from gzxai.core.io import write_parquet


def direct_labels(bars: pd.DataFrame) -> pd.DataFrame:
    """The direct CNN's target, by dr7objid: Hoyle's ``length_scaled`` (paper §4.6).

    It is the bar length in units of the galaxy's size, the only length an image scaled to
    the galaxy shows; a length in kpc would need the distance, which the image lacks.
    """
    return bars.set_index("dr7objid")[["length_scaled"]].astype("float32")


def write_direct_predictions(
    model: str, shards: Sequence[str], bars: pd.DataFrame, splits: pd.Series,
    conv: Conventions, out: str,
) -> None:  # fmt: skip
    """Predictions for every bar galaxy, as ``length_scaled`` and in catalogue units."""
    from gzxai.cnn.train import predict_shards

    predicted = predict_shards(Path(model), [Path(p) for p in shards])
    scaled = predicted.iloc[:, 0].to_numpy(float)
    galaxies = bars.set_index("dr7objid").loc[predicted.index]
    table = pd.DataFrame(
        {
            "dr7objid": predicted.index.to_numpy(np.int64),
            "prediction_length_scaled": scaled,
            "prediction": scaled_to_catalogue_units(scaled, galaxies, conv),
            "split": splits.loc[predicted.index].to_numpy(),
        }
    )
    write_parquet(table, out)
