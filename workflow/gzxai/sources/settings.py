"""Settings of the jobs from source files to tables and shards: each job gets only what its
output depends on, so changing another setting does not rebuild it."""

from __future__ import annotations

from dataclasses import dataclass

from gzxai.core.config import image_geometry
from gzxai.core.settings import Settings


@dataclass(frozen=True)
class CatalogueSettings(Settings):
    """One canonical table's settings: the Kaggle tree-sum tolerance, or the bar table's
    unit conventions (GZ2 has none)."""

    tree_sum_tolerance: float | None = None
    hoyle_length_units: str | None = None
    length_scaled: str | None = None
    hubble_h: float | None = None

    @classmethod
    def from_config(cls, config: dict, table: str) -> CatalogueSettings:
        conventions = config["conventions"]
        if table == "kaggle":
            return cls(tree_sum_tolerance=config["catalogues"]["tree_sum_tolerance"])
        if table == "bars":
            return cls(
                hoyle_length_units=conventions["hoyle_length_units"],
                length_scaled=conventions["length_scaled"],
                hubble_h=conventions["cosmology"]["h0"] / 100.0,
            )
        return cls()


@dataclass(frozen=True)
class ResizeSettings(Settings):
    n_shards: int
    crop_px: int
    size_px: int

    @classmethod
    def from_config(cls, config: dict, dataset: str) -> ResizeSettings:
        return cls(n_shards=config["images"]["shards"][dataset], **image_geometry(config, dataset))


@dataclass(frozen=True)
class FetchSettings(Settings):
    """Retry policy, endpoint settings and the expected md5 of the file fetched."""

    retries: int
    backoff_seconds: float
    timeout_seconds: float
    md5: str | None
    kaggle_competition: str
    sdss_batch_size: int

    @classmethod
    def from_config(cls, config: dict, file_name: str | None) -> FetchSettings:
        from gzxai.sources.fetch import known_md5

        fetch = config["fetch"]
        return cls(
            retries=fetch["retries"],
            backoff_seconds=fetch["backoff_seconds"],
            timeout_seconds=fetch["timeout_seconds"],
            md5=known_md5(file_name, fetch["checksums"]) if file_name else None,
            kaggle_competition=fetch["kaggle_competition"],
            sdss_batch_size=fetch["sdss_batch_size"],
        )
