"""Obtain the real sources: robust HTTP downloads, safe archive extraction, the Kaggle API
and batched SDSS SkyServer SQL queries.

Everything a user's login node needs to turn ``source: real`` into files in the layout the
readers consume (:mod:`gzxai.layout`), reliably over flaky links:

* downloads resume after an interruption (HTTP Range), retry with exponential backoff,
  show sizes and progress, land under a ``.part`` name and are renamed only when complete
  and checksum-verified (a mismatch removes the file and names both sums);
* archives are extracted safely: absolute paths and ``..`` members are refused (zip-slip),
  macOS ``._*`` / ``__MACOSX`` junk is skipped, zips inside zips are unpacked, and the free
  disk space is checked first;
* Kaggle credentials come from ``~/.kaggle/kaggle.json`` or ``KAGGLE_USERNAME``/``KAGGLE_KEY``
  and never appear in any message, log or file we write.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pandas as pd
from tqdm import tqdm

from gzxai.errors import GzxaiError
from gzxai.io import atomic_path, write_csv

log = logging.getLogger(__name__)

CHUNK = 1 << 20


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
                    f"{url}: HTTP {err.code} {err.reason}; check the URL (a config key)"
                ) from err
            if attempt == retry.attempts:
                kept = part.stat().st_size if part.exists() else 0
                raise FetchError(
                    f"{url}: failed after {attempt} attempts ({err}); {part} keeps {kept} bytes "
                    "and a rerun resumes from there"
                ) from err
            wait = retry.backoff_seconds * 2 ** (attempt - 1)
            log.warning(
                "%s: %s; retrying in %.1f s (attempt %d of %d)",
                url,
                err,
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
                f"{url}: md5 {actual} does not match the expected {md5}; the download was removed"
            )
    part.replace(dest)
    return dest


class _IncompleteError(Exception):
    """The server closed the connection before sending everything it announced."""


def _transfer(url: str, part: Path, timeout: float, progress: bool) -> None:
    offset = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={offset}-"} if offset else {})
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


def safe_extract(
    archive: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    nested: bool = True,
    disk_usage: Callable[[str], shutil._ntuple_diskusage] = shutil.disk_usage,
    progress: bool = True,
) -> list[Path]:
    """Extract a zip into ``target`` (created); return the files written.

    Every member is checked before anything is written; zips inside the archive are
    extracted beside themselves and removed when ``nested``.
    """
    archive, target = Path(archive), Path(target)
    with zipfile.ZipFile(archive) as zf:
        members = [m for m in zf.infolist() if not _is_junk(m.filename)]
        for member in members:
            _check_member(member.filename, archive)
        needed = sum(m.file_size for m in members)
        target.mkdir(parents=True, exist_ok=True)
        free = disk_usage(str(target)).free
        if needed > free:
            raise FetchError(
                f"{archive}: extracting needs {needed / 1e9:.2f} GB but {target} has "
                f"{free / 1e9:.2f} GB free; free space or set sources.root to a larger disk"
            )
        written = []
        for member in tqdm(
            members, desc=f"extracting {archive.name}", unit="file", disable=not progress
        ):
            if member.is_dir():
                continue
            out = target / member.filename
            out.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(member) as source, atomic_path(out) as tmp, tmp.open("wb") as sink:
                shutil.copyfileobj(source, sink, CHUNK)
            written.append(out)
    if nested:
        for inner in [p for p in written if p.suffix == ".zip"]:
            written.remove(inner)
            written += safe_extract(
                inner, inner.parent, nested=True, disk_usage=disk_usage, progress=progress
            )
            inner.unlink()
    return written


def gunzip(source: Path, dest: Path) -> Path:
    with gzip.open(source, "rb") as src, atomic_path(dest) as tmp, tmp.open("wb") as sink:
        shutil.copyfileobj(src, sink, CHUNK)
    return dest


# --- Kaggle ------------------------------------------------------------------------------


def kaggle_credentials(home: Path | None = None) -> tuple[str, str]:
    """(username, key) from the environment or ~/.kaggle/kaggle.json, or instructions."""
    user, key = os.environ.get("KAGGLE_USERNAME"), os.environ.get("KAGGLE_KEY")
    if user and key:
        return user, key
    path = (home or Path.home()) / ".kaggle" / "kaggle.json"
    if path.is_file():
        try:
            data = json.loads(path.read_text())
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


def _redact(text: str, secret: str) -> str:
    return text.replace(secret, "***") if secret else text


def fetch_kaggle(
    competition: str,
    download_dir: Path,
    layout_dir: Path,
    *,
    api_factory: Callable[[], object] | None = None,
    progress: bool = True,
) -> list[Path]:
    """Download the competition (a zip of zips) with the Kaggle API and unpack it fully."""
    _, key = kaggle_credentials()
    api = (api_factory or _kaggle_api)()
    download_dir.mkdir(parents=True, exist_ok=True)
    try:
        api.authenticate()
        api.competition_download_files(competition, path=str(download_dir), quiet=not progress)
    except Exception as err:  # the client raises its own exception types; keep the key out
        message = _redact(str(err), key)
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
            with urllib.request.urlopen(
                f"{url}?{query}", timeout=retry.timeout_seconds
            ) as response:
                text = response.read().decode()
            break
        except (urllib.error.URLError, ConnectionError, TimeoutError) as err:
            if attempt == retry.attempts:
                raise FetchError(
                    f"{url}: SQL query failed after {attempt} attempts ({err})"
                ) from err
            time.sleep(retry.backoff_seconds * 2 ** (attempt - 1))
    return _parse_skyserver_csv(text, url)


def _parse_skyserver_csv(text: str, url: str) -> pd.DataFrame:
    """SkyServer CSV answers may start with a '#Table1' line; errors come back as text."""
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    if not lines or "objid" not in lines[0].lower():
        raise FetchError(f"{url}: unexpected answer to the photometry query: {text[:200]!r}")
    header = [c.strip() for c in lines[0].split(",")]
    rows = [line.split(",") for line in lines[1:]]
    table = pd.DataFrame(rows, columns=header)
    table.columns = ["objid", "petroRad_r", "psfWidth_r"]
    return table.astype({"objid": "int64", "petroRad_r": "float64", "psfWidth_r": "float64"})


def gz2_objids(hart16: Path, extra: Iterable[Path] = ()) -> list[int]:
    """Objids whose photometry the workflow needs: every GZ2 galaxy (and any extra table's)."""
    ids = set(pd.read_csv(hart16, usecols=["dr7objid"])["dr7objid"].astype("int64"))
    for path in extra:
        ids |= set(pd.read_csv(path, usecols=["objid"])["objid"].astype("int64"))
    return sorted(ids)
