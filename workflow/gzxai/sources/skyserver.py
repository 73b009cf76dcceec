"""The SDSS photometry of the GZ2 galaxies (Petrosian radius and PSF width, r band), in
batched SkyServer SQL queries whose answers are cached, so a rerun asks only for the rest."""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from gzxai.core.io import write_csv
from gzxai.core.redact import redact
from gzxai.core.validation import parse_integers, read_integer_column
from gzxai.sources.errors import FetchError
from gzxai.sources.fetch import RetryPolicy, authenticated_request

log = logging.getLogger(__name__)


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
    retry: RetryPolicy | None = None,
    progress: bool = True,
) -> dict:
    """``petroRad_r`` and ``psfWidth_r`` for ``objids`` from a SkyServer SQL endpoint.

    Queries go in batches; each answered batch is cached under ``batch_dir`` so that an
    interrupted fetch resumes with the next batch. Objids the server does not know are
    reported in the summary (their α stays undefined downstream).
    """
    retry = retry or RetryPolicy()
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
            request = authenticated_request(f"{url}{separator}{query}", {})
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
