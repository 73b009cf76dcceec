"""Commands from source files to canonical tables and image shards: ``fetch`` (a real
source, on the login node), ``catalogue`` (one validated table), ``resize`` (one shard of a
table's images) and ``catalogue-summary`` (a table's image index and final summary)."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import pandas as pd

from gzxai.core.io import write_csv, write_json, write_parquet

log = logging.getLogger(__name__)
TABLES = ("kaggle", "gz2", "bars")


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("fetch", help="obtain one real source (login node: needs internet)")
    p.add_argument("what", choices=["kaggle", "file", "gunzip", "archive", "photometry"])
    p.add_argument("--params", required=True, help="JSON: retry policy, md5, endpoints")
    p.add_argument(
        "--url",
        help="source URL (kaggle: a mirror of the competition zip, else the Kaggle API; "
        "photometry: the SQL endpoint), or env:NAME to read it from the environment",
    )
    p.add_argument("--out")
    p.add_argument("--downloads", help="folder for archives and partial downloads")
    p.add_argument("--target", help="folder to unpack into")
    p.add_argument("--expect", help="path that must exist after unpacking")
    p.add_argument("--hart16", help="gz2_hart16.csv.gz: the objids needing photometry")
    p.add_argument("--extra", nargs="*", default=[], help="more tables with an objid column")
    p.add_argument("--batches", help="cache folder of answered SQL batches")
    p.set_defaults(func=fetch_source)

    p = commands.add_parser("catalogue", help="build one canonical table from the source files")
    p.add_argument("table", choices=TABLES)
    p.add_argument("--source-root", required=True)
    p.add_argument("--params", required=True, help="JSON: the table's catalogue settings")
    p.add_argument("--out", required=True, help="canonical Parquet table")
    p.add_argument("--quarantine", required=True, help="CSV report of rows set aside")
    p.add_argument("--summary", required=True, help="JSON summary of the build")
    p.set_defaults(func=build_catalogue)

    p = commands.add_parser("resize", help="crop and resize one shard of a table's images")
    p.add_argument("--table", required=True)
    p.add_argument("--dataset", required=True, choices=TABLES)
    p.add_argument("--source-root", required=True)
    p.add_argument("--shard", type=int, required=True)
    p.add_argument("--params", required=True, help="JSON: number of shards, crop and size")
    p.add_argument("--out", required=True)
    p.add_argument("--quarantine", required=True)
    p.set_defaults(func=resize)

    p = commands.add_parser(
        "catalogue-summary", help="a table's image index, unreadable images and summary"
    )
    p.add_argument("--dataset", required=True, choices=TABLES)
    p.add_argument("--table", required=True, help="the canonical table (parquet)")
    p.add_argument("--build", required=True, help="the catalogue stage's build summary (JSON)")
    p.add_argument("--shards", nargs="+", required=True)
    p.add_argument("--quarantines", nargs="+", required=True, help="the shards' reports")
    p.add_argument("--index", required=True, help="output: galaxies with a readable image")
    p.add_argument("--unreadable", required=True, help="output: CSV of unreadable images")
    p.add_argument("--summary", required=True, help="output: the table's summary (JSON)")
    p.set_defaults(func=summarise_catalogue)


def build_catalogue(args: argparse.Namespace) -> None:
    from gzxai.core.layout import SourceLayout
    from gzxai.core.units import HoyleLengthUnits, LengthScaled
    from gzxai.sources import catalogues
    from gzxai.sources.settings import CatalogueSettings

    settings = CatalogueSettings.from_json(args.params)
    layout = SourceLayout(Path(args.source_root))
    if args.table == "kaggle":
        built = catalogues.build_kaggle(layout, tree_sum_tolerance=settings.tree_sum_tolerance)
    elif args.table == "gz2":
        built = catalogues.build_gz2(layout)
    else:
        built = catalogues.build_bars(
            layout,
            length_units=HoyleLengthUnits(settings.hoyle_length_units),
            length_scaled=LengthScaled(settings.length_scaled),
            hubble_h=settings.hubble_h,
        )
    write_parquet(built.table, args.out)
    write_csv(built.quarantine, args.quarantine)
    write_json(built.summary, args.summary)
    log.info("%s table: %s", args.table, built.summary)
    if built.quarantine.shape[0]:
        log.warning("%d row(s) set aside, see %s", len(built.quarantine), args.quarantine)


def resize(args: argparse.Namespace) -> None:
    from gzxai.core.arrays import write_shard
    from gzxai.sources import images
    from gzxai.sources.settings import ResizeSettings

    settings = ResizeSettings.from_json(args.params)
    arrays, quarantine = images.build_shard(
        pd.read_parquet(args.table),
        dataset=args.dataset,
        source_root=Path(args.source_root),
        shard=args.shard,
        n_shards=settings.n_shards,
        crop_px=settings.crop_px,
        size_px=settings.size_px,
        progress=not args.quiet,
    )
    write_shard(arrays, Path(args.out))
    write_csv(quarantine, args.quarantine)
    if len(quarantine):
        log.warning("%d unreadable image(s), see %s", len(quarantine), args.quarantine)


def summarise_catalogue(args: argparse.Namespace) -> None:
    from gzxai.core.arrays import image_index
    from gzxai.core.contracts import CANONICAL_TABLES
    from gzxai.sources import catalogues, images

    table = pd.read_parquet(args.table)
    index = image_index(args.shards)
    unreadable = images.read_quarantines(args.quarantines)
    key = CANONICAL_TABLES[args.dataset].key
    summary = catalogues.with_image_outcomes(
        json.loads(Path(args.build).read_text()), table, key, index, unreadable
    )
    write_parquet(index, args.index)
    write_csv(unreadable, args.unreadable)
    write_json(summary, args.summary)
    if len(unreadable):
        log.warning(
            "%s: %d unreadable image(s), left out of every stage: see %s",
            args.dataset,
            len(unreadable),
            args.unreadable,
        )


def fetch_source(args: argparse.Namespace) -> None:
    from gzxai.sources import archives, fetch, skyserver
    from gzxai.sources.settings import FetchSettings

    settings = FetchSettings.from_json(args.params)
    retry = fetch.RetryPolicy(settings.retries, settings.backoff_seconds, settings.timeout_seconds)
    progress, url = not args.quiet, fetch.resolve_url(args.url)
    downloads = Path(args.downloads) if args.downloads else None
    if args.what == "file":
        fetch.download(url, Path(args.out), md5=settings.md5, retry=retry, progress=progress)
    elif args.what == "gunzip":
        archive = downloads / Path(args.out).with_suffix(".csv.gz").name
        fetch.download(url, archive, md5=settings.md5, retry=retry, progress=progress)
        archives.gunzip(archive, Path(args.out))
    elif args.what == "archive":
        archive = downloads / "images_gz2.zip"
        fetch.download(url, archive, md5=settings.md5, retry=retry, progress=progress)
        archives.safe_extract(archive, Path(args.target), progress=progress)
        fetch.expect_unpacked(args.expect, archive)
    elif args.what == "kaggle":
        target = Path(args.target)
        if url:
            fetch.fetch_kaggle_mirror(
                url, downloads, target, md5=settings.md5, retry=retry, progress=progress
            )
        else:
            fetch.fetch_kaggle(settings.kaggle_competition, downloads, target, progress=progress)
        fetch.expect_unpacked(target / "training_solutions_rev1.csv", settings.kaggle_competition)
    else:
        ids = skyserver.gz2_objids(Path(args.hart16), [Path(p) for p in args.extra])
        summary = skyserver.fetch_photometry(
            ids,
            url,
            Path(args.batches),
            Path(args.out),
            batch_size=settings.sdss_batch_size,
            retry=retry,
            progress=progress,
        )
        log.info("SDSS photometry: %s", summary)
