"""Obtain the real sources: robust HTTP downloads, safe archive extraction, the Kaggle API
and batched SDSS SkyServer SQL queries.

Everything a user's login node needs to turn ``source: real`` into files in the layout the
readers consume (:mod:`gzxai.core.layout`), reliably over flaky links:

* downloads resume after an interruption (HTTP Range), retry with exponential backoff,
  show sizes and progress, land under a ``.part`` name and are renamed only when complete
  and checksum-verified (a mismatch removes the file and names both sums);
* archives are extracted safely: absolute paths and ``..`` members are refused (zip-slip),
  macOS ``._*`` / ``__MACOSX`` junk is skipped, zips inside zips are unpacked, and the free
  disk space is checked first;
* archives are checked whole before anything is written, the zips inside them included:
  unsafe names, compression ratios above :data:`MAX_COMPRESSION_RATIO` (a zip bomb) and the
  space everything needs unpacked; a member whose data does not match its header is named;
* Kaggle credentials come from ``~/.kaggle/kaggle.json`` or ``KAGGLE_USERNAME``/``KAGGLE_KEY``
  and never appear in any message, log or file we write; neither do credentials in a mirror
  URL (:mod:`gzxai.core.redact`), which reach the job through the environment, never its command
  line (:func:`resolve_url`).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import itertools
import json
import logging
import os
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd
from tqdm import tqdm

from gzxai.core.contracts import parse_integers, read_integer_column
from gzxai.core.errors import GzxaiError
from gzxai.core.io import atomic_path, write_csv
from gzxai.core.redact import redact, register_secret

log = logging.getLogger(__name__)

CHUNK = 1 << 20
#: Largest uncompressed / compressed size accepted for an archive member above
#: :data:`RATIO_FLOOR_BYTES` (JPEGs do not compress; CSV tables reach about 10).
MAX_COMPRESSION_RATIO = 100
RATIO_FLOOR_BYTES = 1 << 20
#: Prefix of a URL argument that names an environment variable holding the URL.
ENV_PREFIX = "env:"


class FetchError(GzxaiError):
    """A source could not be obtained; the message says what to do."""


class ChecksumError(FetchError):
    pass


class UnsafeArchiveError(FetchError):
    pass


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    backoff_seconds: float = 2.0
    timeout_seconds: float = 60.0


def resolve_url(argument: str | None) -> str | None:
    """A URL given on the command line, or ``env:NAME`` for one held in the environment.

    The workflow passes ``env:`` names so that credentials in a mirror URL never appear in a
    command line (``snakemake -p``, ``ps``, cluster accounting)."""
    if not argument or not argument.startswith(ENV_PREFIX):
        return argument or None
    name = argument.removeprefix(ENV_PREFIX)
    value = os.environ.get(name)
    if value is None:
        raise FetchError(
            f"the URL is to come from the environment variable {name}, which is not set; "
            "run the job through Snakemake (it sets it from the fetch config) or export it"
        )
    return value or None


def known_md5(file_name: str, overrides: dict | None = None) -> str | None:
    """The md5 to verify ``file_name`` against: a config override, else resources/checksums.yaml."""
    import yaml

    from gzxai import RESOURCES

    if overrides and file_name in overrides:
        return overrides[file_name]
    known = yaml.safe_load((RESOURCES / "checksums.yaml").read_text())
    return (known.get(file_name) or {}).get("md5")


def file_digest(path: Path, algorithm: str = "md5") -> str:
    digest = hashlib.new(algorithm)
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def download(
    url: str,
    dest: str | os.PathLike[str],
    *,
    md5: str | None = None,
    retry: RetryPolicy = RetryPolicy(),
    progress: bool = True,
) -> Path:
    """Download ``url`` to ``dest``; resume a previous partial download; verify ``md5``.

    An existing ``dest`` is kept when it verifies (or there is no checksum to verify).
    """
    dest = Path(dest)
    shown = redact(url)
    if dest.is_file() and (md5 is None or file_digest(dest) == md5):
        log.info("%s already present", dest)
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    for attempt in range(1, retry.attempts + 1):
        try:
            _transfer(url, part, retry.timeout_seconds, progress)
            break
        except (urllib.error.URLError, ConnectionError, TimeoutError, _IncompleteError) as err:
            if (
                isinstance(err, urllib.error.HTTPError)
                and 400 <= err.code < 500
                and err.code != 416
            ):
                raise FetchError(
                    f"{shown}: HTTP {err.code} {err.reason}; check the URL (a config key)"
                ) from err
            if attempt == retry.attempts:
                kept = part.stat().st_size if part.exists() else 0
                raise FetchError(
                    f"{shown}: failed after {attempt} attempts ({err}); {part} keeps {kept} "
                    "bytes and a rerun resumes from there"
                ) from err
            wait = retry.backoff_seconds * 2 ** (attempt - 1)
            log.warning(
                "%s: %s; retrying in %.1f s (attempt %d of %d)",
                shown,
                redact(err),
                wait,
                attempt + 1,
                retry.attempts,
            )
            time.sleep(wait)
    if md5 is not None:
        actual = file_digest(part)
        if actual != md5:
            part.unlink()
            raise ChecksumError(
                f"{shown}: md5 {actual} does not match the expected {md5}; the download was removed"
            )
    part.replace(dest)
    return dest


class _IncompleteError(Exception):
    """The server closed the connection before sending everything it announced."""


def _authenticated_request(url: str, headers: dict[str, str]) -> urllib.request.Request:
    """A request for ``url``; ``user:password@`` in it becomes a Basic Authorization header
    (urllib does not read credentials from the URL), registered for redaction."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is not None:
        user = urllib.parse.unquote(parts.username)
        password = urllib.parse.unquote(parts.password or "")
        register_secret(password, user)
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        headers = {**headers, "Authorization": f"Basic {token}"}
        url = urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
    return urllib.request.Request(url, headers=headers)


def _transfer(url: str, part: Path, timeout: float, progress: bool) -> None:
    offset = part.stat().st_size if part.exists() else 0
    request = _authenticated_request(url, {"Range": f"bytes={offset}-"} if offset else {})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as err:
        if err.code == 416 and offset:  # nothing left to send: the part is complete
            return
        raise
    with response:
        if offset and response.status != 206:
            offset = 0  # the server ignored the range: start again
        length = response.headers.get("Content-Length")
        total = offset + int(length) if length is not None else None
        mode = "ab" if offset else "wb"
        with (
            part.open(mode) as handle,
            tqdm(
                total=total,
                initial=offset,
                unit="B",
                unit_scale=True,
                desc=part.name.removesuffix(".part"),
                disable=not progress,
            ) as bar,
        ):
            while block := response.read(CHUNK):
                handle.write(block)
                bar.update(len(block))
    if total is not None and part.stat().st_size < total:
        raise _IncompleteError(f"received {part.stat().st_size} of {total} bytes")


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


# --- Kaggle ------------------------------------------------------------------------------


def kaggle_credentials(home: Path | None = None) -> tuple[str, str]:
    """(username, key) from the environment or ~/.kaggle/kaggle.json, or instructions."""
    user, key = os.environ.get("KAGGLE_USERNAME"), os.environ.get("KAGGLE_KEY")
    if user and key:
        register_secret(key, user)
        return user, key
    path = (home or Path.home()) / ".kaggle" / "kaggle.json"
    if path.is_file():
        try:
            data = json.loads(path.read_text())
            register_secret(data["key"], data["username"])
            return data["username"], data["key"]
        except (ValueError, KeyError) as err:
            raise FetchError(
                f"{path}: not a Kaggle API token (needs 'username' and 'key')"
            ) from err
    raise FetchError(
        "Kaggle credentials not found. Create an API token on kaggle.com (Account → API → "
        f"Create New Token), save it as {path} with mode 600, or set KAGGLE_USERNAME and "
        "KAGGLE_KEY in the environment."
    )


def fetch_kaggle(
    competition: str,
    download_dir: Path,
    layout_dir: Path,
    *,
    api_factory: Callable[[], object] | None = None,
    progress: bool = True,
) -> list[Path]:
    """Download the competition (a zip of zips) with the Kaggle API and unpack it fully."""
    kaggle_credentials()  # registers the key for redaction
    api = (api_factory or _kaggle_api)()
    download_dir.mkdir(parents=True, exist_ok=True)
    try:
        api.authenticate()
        api.competition_download_files(competition, path=str(download_dir), quiet=not progress)
    except Exception as err:  # the client raises its own exception types; keep the key out
        message = redact(err)
        if "403" in message or "Forbidden" in message:
            raise FetchError(
                f"Kaggle refused the download of {competition!r} (403): accept the competition "
                f"rules first at https://www.kaggle.com/competitions/{competition}/rules while "
                "logged in, then rerun."
            ) from None
        if "401" in message or "Unauthorized" in message:
            raise FetchError(
                "Kaggle rejected the credentials (401): create a new API token."
            ) from None
        raise FetchError(f"Kaggle download of {competition!r} failed: {message}") from None
    archive = download_dir / f"{competition}.zip"
    if not archive.is_file():
        raise FetchError(f"the Kaggle client wrote no {archive}")
    return safe_extract(archive, layout_dir, progress=progress)


def fetch_kaggle_mirror(
    url: str,
    download_dir: Path,
    layout_dir: Path,
    *,
    md5: str | None,
    retry: RetryPolicy,
    progress: bool = True,
) -> list[Path]:
    """The competition zip from an HTTP mirror (no Kaggle account needed), unpacked fully."""
    archive = download(
        url, download_dir / "kaggle-competition.zip", md5=md5, retry=retry, progress=progress
    )
    return safe_extract(archive, layout_dir, progress=progress)


def _kaggle_api() -> object:
    try:
        from kaggle.api.kaggle_api_extended import KaggleApi
    except ImportError as err:
        raise FetchError("the kaggle package is missing: pip install 'gzxai[fetch]'") from err
    return KaggleApi()


# --- SDSS photometry ---------------------------------------------------------------------

PHOTOMETRY_SQL = (
    "SELECT objID AS objid, petroRad_r, psfWidth_r FROM PhotoObjAll WHERE objID IN ({ids})"
)


def fetch_photometry(
    objids: Sequence[int],
    url: str,
    batch_dir: Path,
    out: Path,
    *,
    batch_size: int = 500,
    retry: RetryPolicy = RetryPolicy(),
    progress: bool = True,
) -> dict:
    """``petroRad_r`` and ``psfWidth_r`` for ``objids`` from a SkyServer SQL endpoint.

    Queries go in batches; each answered batch is cached under ``batch_dir`` so that an
    interrupted fetch resumes with the next batch. Objids the server does not know are
    reported in the summary (their α stays undefined downstream).
    """
    ids = sorted({int(i) for i in objids})
    batch_dir.mkdir(parents=True, exist_ok=True)
    batches = [ids[i : i + batch_size] for i in range(0, len(ids), batch_size)]
    frames, queried = [], 0
    for k, batch in enumerate(
        tqdm(batches, desc="SDSS photometry", unit="batch", disable=not progress)
    ):
        cached = batch_dir / f"batch-{k:05d}-{len(batch)}.csv"
        if not cached.is_file():
            table = _sql_query(url, PHOTOMETRY_SQL.format(ids=",".join(map(str, batch))), retry)
            write_csv(table, cached)
            queried += 1
        frames.append(pd.read_csv(cached))
    photometry = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=["objid", "petroRad_r", "psfWidth_r"])
    )
    write_csv(photometry, out)
    return {
        "requested": len(ids),
        "returned": len(photometry),
        "missing": len(set(ids) - set(photometry["objid"])),
        "batches": len(batches),
        "queried_now": queried,
    }


def _sql_query(url: str, sql: str, retry: RetryPolicy) -> pd.DataFrame:
    query = urllib.parse.urlencode({"cmd": sql, "format": "csv"})
    for attempt in range(1, retry.attempts + 1):
        try:
            separator = "&" if "?" in url else "?"
            request = _authenticated_request(f"{url}{separator}{query}", {})
            with urllib.request.urlopen(request, timeout=retry.timeout_seconds) as response:
                text = response.read().decode()
            break
        except (urllib.error.URLError, ConnectionError, TimeoutError) as err:
            if attempt == retry.attempts:
                raise FetchError(
                    f"{redact(url)}: SQL query failed after {attempt} attempts ({err})"
                ) from err
            time.sleep(retry.backoff_seconds * 2 ** (attempt - 1))
    return _parse_skyserver_csv(text, url)


def _parse_skyserver_csv(text: str, url: str) -> pd.DataFrame:
    """SkyServer CSV answers may start with a '#Table1' line; errors come back as text."""
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    if not lines or "objid" not in lines[0].lower():
        raise FetchError(
            f"{redact(url)}: unexpected answer to the photometry query: {text[:200]!r}"
        )
    header = [c.strip() for c in lines[0].split(",")]
    rows = [line.split(",") for line in lines[1:]]
    table = pd.DataFrame(rows, columns=header)
    table.columns = ["objid", "petroRad_r", "psfWidth_r"]
    objids, problems = parse_integers(table["objid"])
    if problems.notna().any():
        first = int(np.flatnonzero(problems.notna().to_numpy())[0])
        raise FetchError(
            f"{redact(url)}: answer line {first + 2}: objid {table['objid'].iloc[first]!r} "
            f"({problems.iloc[first]})"
        )
    return table.assign(objid=objids.astype("int64")).astype(
        {"petroRad_r": "float64", "psfWidth_r": "float64"}
    )


def gz2_objids(hart16: Path, extra: Iterable[Path] = ()) -> list[int]:
    """Objids whose photometry the workflow needs: every GZ2 galaxy (and any extra table's)."""
    ids = set(read_integer_column(hart16, "dr7objid", "gz2_hart16").tolist())
    for path in extra:
        ids |= set(read_integer_column(path, "objid", Path(path).stem).tolist())
    return sorted(ids)
