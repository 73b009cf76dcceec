"""Safe archive extraction for the real sources.

Archives are checked whole before anything is written, the zips inside them included:
absolute paths and ``..`` members are refused (zip-slip), macOS ``._*`` / ``__MACOSX`` junk
is skipped, compression ratios above :data:`MAX_COMPRESSION_RATIO` (a zip bomb) are
refused, and the free disk space everything needs unpacked is checked first; a member
whose data does not match its header is named with its archive.
"""

from __future__ import annotations

import gzip
import itertools
import logging
import os
import shutil
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from tqdm import tqdm

from gzxai.core.io import CHUNK, atomic_path
from gzxai.sources.errors import FetchError, UnsafeArchiveError

log = logging.getLogger(__name__)


#: Largest uncompressed / compressed size accepted for an archive member above
#: :data:`RATIO_FLOOR_BYTES` (JPEGs do not compress; CSV tables reach about 10).
MAX_COMPRESSION_RATIO = 100


RATIO_FLOOR_BYTES = 1 << 20


def _is_junk(name: str) -> bool:
    path = PurePosixPath(name)
    return path.name.startswith("._") or "__MACOSX" in path.parts or path.name == ".DS_Store"


def _check_member(name: str, archive: Path) -> None:
    path = PurePosixPath(name)
    if (
        path.is_absolute()
        or name.startswith(("/", "\\"))
        or ".." in path.parts
        or ":" in path.parts[0]
    ):
        raise UnsafeArchiveError(
            f"{archive}: refusing member {name!r}: it would land outside the target"
        )


@dataclass(frozen=True)
class _Member:
    """A file to write: its name in its archive and, for a nested zip, the zip's own name."""

    info: zipfile.ZipInfo
    inside: str | None = None


def _plan(zf: zipfile.ZipFile, label: str, nested: bool) -> tuple[list[_Member], int]:
    """Every member that will be written (nested zips opened in place), checked for unsafe
    names and compression ratio, and the bytes they need on disk, before anything is written."""
    members, needed = [], 0
    for info in zf.infolist():
        if _is_junk(info.filename) or info.is_dir():
            continue
        _check_member(info.filename, label)
        _check_ratio(info, label)
        needed += info.file_size
        if nested and info.filename.endswith(".zip"):
            with (
                _reading(label, info.filename),
                zf.open(info) as handle,
                zipfile.ZipFile(handle) as inner,
            ):
                # One level, as the Kaggle download (a zip of zips); deeper zips stay files.
                inner_members, inner_needed = _plan(inner, f"{label}!{info.filename}", False)
            members += [_Member(m.info, info.filename) for m in inner_members]
            needed += inner_needed
        else:
            members.append(_Member(info))
    return members, needed


def _check_ratio(info: zipfile.ZipInfo, label: str) -> None:
    if info.file_size <= RATIO_FLOOR_BYTES:
        return
    ratio = info.file_size / max(info.compress_size, 1)
    if ratio > MAX_COMPRESSION_RATIO:
        raise UnsafeArchiveError(
            f"{label}: refusing member {info.filename!r}: {info.file_size:,} bytes from "
            f"{info.compress_size:,} compressed (ratio {ratio:.0f}, above "
            f"{MAX_COMPRESSION_RATIO}); not a Galaxy Zoo archive"
        )


@contextmanager
def _reading(label: str, member: str) -> Iterator[None]:
    """Name the archive and member when zipfile finds them corrupt (a bad CRC, a member that
    holds more or less than its header declares, a truncated archive)."""
    try:
        yield
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error) as err:
        raise UnsafeArchiveError(
            f"{label}: member {member!r} is corrupt ({err}); the archive is damaged or its "
            "sizes are forged: download it again"
        ) from err


def safe_extract(
    archive: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    nested: bool = True,
    disk_usage: Callable[[str], shutil._ntuple_diskusage] = shutil.disk_usage,
    progress: bool = True,
) -> list[Path]:
    """Extract a zip into ``target`` (created); return the files written.

    Every member, those of zips inside the archive included, is checked before anything is
    written; with ``nested``, an inner zip's files are written beside where the zip would be
    (the zip itself never is).
    """
    archive, target = Path(archive), Path(target)
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as err:
        raise UnsafeArchiveError(f"{archive}: not a readable zip archive ({err})") from err
    with zf:
        members, needed = _plan(zf, str(archive), nested)
        target.mkdir(parents=True, exist_ok=True)
        free = disk_usage(str(target)).free
        if needed > free:
            raise FetchError(
                f"{archive}: extracting needs {needed / 1e9:.2f} GB but {target} has "
                f"{free / 1e9:.2f} GB free; free space or set sources.root to a larger disk"
            )
        written = []
        for inside, group in itertools.groupby(members, key=lambda m: m.inside):
            label = f"{archive}!{inside}" if inside else str(archive)
            with _opened(zf, inside, label) as source_zip:
                for member in tqdm(
                    list(group), desc=f"extracting {Path(label).name}", unit="file",
                    disable=not progress,
                ):  # fmt: skip
                    folder = target / PurePosixPath(inside).parent if inside else target
                    written.append(_write_member(source_zip, member.info, folder, label))
    return written


@contextmanager
def _opened(zf: zipfile.ZipFile, inside: str | None, label: str) -> Iterator[zipfile.ZipFile]:
    if inside is None:
        yield zf
        return
    with _reading(label, inside), zf.open(inside) as handle, zipfile.ZipFile(handle) as inner:
        yield inner


def _write_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, label: str) -> Path:
    out = target / info.filename
    out.parent.mkdir(parents=True, exist_ok=True)
    with (
        _reading(label, info.filename),
        zf.open(info) as source,
        atomic_path(out) as tmp,
        tmp.open("wb") as sink,
    ):
        shutil.copyfileobj(source, sink, CHUNK)
    return out


def gunzip(source: Path, dest: Path) -> Path:
    with gzip.open(source, "rb") as src, atomic_path(dest) as tmp, tmp.open("wb") as sink:
        shutil.copyfileobj(src, sink, CHUNK)
    return dest
