"""Digests of what produced a result: settings, data and the package's own code.

A result (or a training backup) is only reused when the digest of what made it equals the
digest of what would make it now. Content, never timestamps or paths: a fresh clone or a
moved checkout digests the same.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parents[1]


def code_digest(*modules: str) -> str:
    """Digest of the source of the named gzxai modules (``"train"``, ``"synthetic/votes"``)."""
    digest = hashlib.sha256()
    for module in modules:
        digest.update(module.encode() + b"\0")
        digest.update((PACKAGE_DIR / f"{module}.py").read_bytes())
    return digest.hexdigest()[:16]


def settings_digest(value: Any) -> str:
    """Digest of JSON-like settings (key order does not matter)."""
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
