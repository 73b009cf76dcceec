"""Obtain the real sources: robust HTTP downloads and the Kaggle API (archives:
:mod:`gzxai.sources.archives`; SDSS photometry: :mod:`gzxai.sources.skyserver`).

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
import hashlib
import json
import logging
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from gzxai.core.io import CHUNK
from gzxai.core.redact import redact, register_secret
from gzxai.sources.archives import safe_extract
from gzxai.sources.errors import ChecksumError, FetchError

log = logging.getLogger(__name__)

#: Prefix of a URL argument that names an environment variable holding the URL.
ENV_PREFIX = "env:"


def expect_unpacked(path: str | Path | None, source: object) -> None:
    """Raise if an archive from ``source`` unpacked without the file it must hold."""
    if path and not Path(path).exists():
        raise FetchError(
            f"{source}: unpacked, but {path} is not there; is the archive the right one?"
        )


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


def authenticated_request(url: str, headers: dict[str, str]) -> urllib.request.Request:
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
    request = authenticated_request(url, {"Range": f"bytes={offset}-"} if offset else {})
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
