"""The file edges of the source stages (fetch, catalogue, resize): which source files each
rule reads, and which real sources are still to be fetched."""

from __future__ import annotations

import os

from gzxai.core.layout import SourceLayout, placed

#: Source files each canonical table is built from (same layout, real or synthetic).
CATALOGUE_SOURCES = {
    "kaggle": ["kaggle_solutions", "kaggle_train_images", "kaggle_test_images"],
    "gz2": ["gz2_hart16", "gz2sample", "gz2_mapping", "photometry", "gz2_images"],
    "bars": ["hoyle", "gz2sample", "gz2_mapping", "gz2_images"],
}
#: Folders of source images each dataset's shards are resized from.
IMAGE_FOLDERS = {
    "kaggle": ["kaggle_train_images", "kaggle_test_images"],
    "gz2": ["gz2_images"],
    "bars": ["gz2_images"],
}
#: Single files fetched by URL: the folder they go to and the config key of their URL.
FETCHED_FILES = {
    "gz2_hart16.csv.gz": ("gz2", "gz2_hart16_url"),
    "gz2_filename_mapping.csv": ("gz2", "gz2_mapping_url"),
    "hoyle_barlengths.csv": ("hoyle", "hoyle_url"),
}
DOWNLOADS = "results/downloads"


def layout_paths(layout: SourceLayout, names) -> dict[str, str]:
    return {name: str(getattr(layout, name)) for name in names}


def catalogue_inputs(layout: SourceLayout, table: str) -> dict[str, str]:
    return layout_paths(layout, CATALOGUE_SOURCES[table])


def resize_inputs(layout: SourceLayout, dataset: str) -> dict[str, str]:
    return {
        "table": f"results/catalogues/{dataset}.parquet",
        **layout_paths(layout, IMAGE_FOLDERS[dataset]),
    }


def source_root_of(layout: SourceLayout, input) -> str:
    """The source root, derived from a job's own input paths."""
    for name, path in input.items():
        if hasattr(layout, name):
            return str(layout.root_from(path, name))
    raise ValueError("no source-layout input to derive the source root from")


def url_argument(config: dict, key: str) -> str:
    """``env:NAME`` for the URL under ``fetch.<key>``, which is put in the environment that
    jobs inherit: a credential in a mirror URL never reaches a command line or a log."""
    name = f"GZXAI_FETCH_{key.upper()}"
    os.environ[name] = config["fetch"][key] or ""
    return f"env:{name}"


def missing_files(layout: SourceLayout) -> list[str]:
    """The single-file sources not in place yet."""
    return [
        name
        for name, (folder, _) in FETCHED_FILES.items()
        if not placed(layout.root / folder / name)
    ]


def fetch_rules(layout: SourceLayout) -> list[str]:
    """The fetch rules to define: one for each source not in place. A file in the sources
    root, placed by hand or fetched before, is never refetched, removed or replaced."""
    kaggle = (layout.kaggle_solutions, layout.kaggle_train_images, layout.kaggle_test_images)
    needed = {
        "fetch_kaggle": not placed(*kaggle),
        "fetch_file": bool(missing_files(layout)),
        "fetch_gz2sample": not placed(layout.gz2sample),
        "fetch_gz2_images": not placed(layout.gz2_images),
        "fetch_photometry": not placed(layout.photometry),
    }
    return [name for name, need in needed.items() if need]
