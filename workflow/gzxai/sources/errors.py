"""Why a real source could not be obtained."""

from __future__ import annotations

from gzxai.core.errors import GzxaiError


class FetchError(GzxaiError):
    """A source could not be obtained; the message says what to do."""


class ChecksumError(FetchError):
    pass


class UnsafeArchiveError(FetchError):
    pass
