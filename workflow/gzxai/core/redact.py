"""Secrets never leave gzxai in a message: one function masks them in every error, log line
and progress text that can carry a URL or a credential.

What it masks: the user and password of a URL (``https://user:pw@host``), query parameters
that carry credentials (``?token=``, ``?sig=``, ``X-Amz-Signature=`` …), ``Authorization``
headers (Basic, Bearer or bare), and any value registered with :func:`register_secret` (the
Kaggle key, and the base64 ``user:key`` pair an HTTP client sends for it).
"""

from __future__ import annotations

import base64
import logging
import re

MASK = "***"

_SECRET_PARAMETERS = (
    "token",
    "access_token",
    "auth",
    "sig",
    "signature",
    "key",
    "api_key",
    "apikey",
    "password",
    "passwd",
    "secret",
    "client_secret",
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
    "x-goog-signature",
    "x-goog-credential",
)
_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s?#]+@")
_QUERY = re.compile(
    r"(?P<name>[?&;](?:" + "|".join(re.escape(p) for p in _SECRET_PARAMETERS) + r")=)"
    r"[^&;#\s'\"]*",
    re.IGNORECASE,
)
_AUTHORIZATION = re.compile(
    r"(?P<name>\bAuthorization['\"]?\s*[:=]\s*['\"]?)(?:(?:Basic|Bearer|Token)\s+)?"
    r"[A-Za-z0-9+/=._~-]+",
    re.IGNORECASE,
)
_registered: set[str] = set()
#: Shorter values are not registered: masking them would garble ordinary words (real Kaggle
#: keys have 32 characters; a short password in a URL is masked by the URL pattern anyway).
MIN_SECRET_LENGTH = 8


def register_secret(value: str, user: str | None = None) -> None:
    """Mask ``value`` wherever it appears from now on (from :data:`MIN_SECRET_LENGTH`
    characters); with ``user``, also the base64 form of ``user:value`` that HTTP Basic
    authentication sends."""
    if len(value or "") >= MIN_SECRET_LENGTH:
        _registered.add(value)
    if value and user:
        _registered.add(base64.b64encode(f"{user}:{value}".encode()).decode())


def redact(text: object) -> str:
    """``text`` with every credential it carries replaced by ``***``."""
    out = str(text)
    for secret in sorted(_registered, key=len, reverse=True):
        out = out.replace(secret, MASK)
    out = _USERINFO.sub(rf"\g<scheme>{MASK}@", out)
    out = _QUERY.sub(rf"\g<name>{MASK}", out)
    return _AUTHORIZATION.sub(rf"\g<name>{MASK}", out)


class RedactingFilter(logging.Filter):
    """A logging filter that formats each record's message once and redacts it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
