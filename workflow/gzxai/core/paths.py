"""Where the files that cross stages live under ``results/``: one definition of each path,
used by every rule file (and by nothing that runs inside a job, which gets its paths as
arguments)."""

from __future__ import annotations


def table(name: str) -> str:
    """A canonical table (contract ``<NAME>_TABLE``)."""
    return f"results/catalogues/{name}.parquet"


def image_index(name: str) -> str:
    """A table's galaxies with a readable image (contract IMAGE_INDEX): stages that work
    on images take their galaxies from here."""
    return f"results/catalogues/{name}.images.parquet"


def shard_paths(config: dict, dataset: str) -> list[str]:
    """A dataset's image shards (contract IMAGE_SHARD)."""
    count = config["images"]["shards"][dataset]
    return [f"results/images/{dataset}/shard-{k:03d}.npz" for k in range(count)]


def shard_quarantines(config: dict, dataset: str) -> list[str]:
    """The shards' reports of unreadable images."""
    return [path.replace(".npz", ".quarantine.csv") for path in shard_paths(config, dataset)]


def split_file(name: str) -> str:
    """One split (see :data:`gzxai.splits.settings.SPLITS`)."""
    return f"results/splits/{name}.parquet"
