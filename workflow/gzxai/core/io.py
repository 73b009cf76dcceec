"""Atomic output: every file is written under a temporary name and renamed when complete.

A killed job therefore never leaves a half-written file under its final name, which
Snakemake (or a user) could mistake for a finished output. The file gets the mode any new
file gets under the user's umask (a temporary file alone would be private to its owner, and
a group sharing the results could not read them).
"""

from __future__ import annotations

import gzip
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gzxai.core.errors import InputError

#: Bytes per read when copying or hashing large files.
CHUNK = 1 << 20


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` if the block succeeds.

    The temporary file keeps the final suffix (some writers choose the format from it). On
    any exception the temporary file is removed and the exception propagates.
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{final.stem}.", suffix=f".tmp{''.join(final.suffixes)}", dir=final.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        if tmp.is_file():
            tmp.chmod(0o666 & ~current_umask())
        tmp.replace(final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def current_umask() -> int:
    """The process's umask (reading it means setting it, so it is set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_parquet(table: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    with atomic_path(path) as tmp:
        table.to_parquet(tmp, index=False)


def write_csv(table: pd.DataFrame, path: str | os.PathLike[str], **kwargs: Any) -> None:
    """Write a CSV atomically; ``.gz`` paths are gzip-compressed with neither a time nor a
    file name in the gzip header, so that the same table gives the same bytes."""
    with atomic_path(path) as tmp:
        if not str(path).endswith(".gz"):
            table.to_csv(tmp, index=False, **kwargs)
            return
        with (
            tmp.open("wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as packed,
            io.TextIOWrapper(packed, encoding="utf-8", newline="") as text,
        ):
            table.to_csv(text, index=False, **kwargs)


def write_json(data: Any, path: str | os.PathLike[str]) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=_json_default) + "\n")


def write_text(text: str, path: str | os.PathLike[str]) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def save_npz(path: str | os.PathLike[str], **arrays: np.ndarray) -> None:
    """Save arrays uncompressed (images are already uint8; compression costs more than it saves)."""
    with atomic_path(path) as tmp, tmp.open("wb") as handle:
        np.savez(handle, **arrays)


@contextmanager
def open_npz(
    path: str | os.PathLike[str], required: Sequence[str] = ()
) -> Iterator[np.lib.npyio.NpzFile]:
    """An ``.npz`` of gzxai's (image shards, saliency maps) opened lazily: an array is read
    only when indexed. A missing, truncated or foreign file raises :class:`InputError` naming
    it, and so does an array missing from ``required``."""
    path = Path(path)
    try:
        data = np.load(path)
    except FileNotFoundError as err:
        raise InputError(f"{path}: file not found") from err
    except (zipfile.BadZipFile, EOFError, ValueError, OSError) as err:
        raise _unreadable(path, err) from err
    with data:
        absent = [key for key in required if key not in data.files]
        if absent:
            raise InputError(
                f"{path}: no array(s) {', '.join(absent)} (it holds {', '.join(data.files)}); "
                "not a file this stage wrote: delete it so that it is made again"
            )
        try:
            yield data
        except (zipfile.BadZipFile, EOFError) as err:  # an array read lazily, damaged
            raise _unreadable(path, err) from err


def _unreadable(path: Path, err: Exception) -> InputError:
    return InputError(
        f"{path}: unreadable ({type(err).__name__}: {err}); the file is truncated or corrupt: "
        "delete it so that the rule that writes it runs again"
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")
