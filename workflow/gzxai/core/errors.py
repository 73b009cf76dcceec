"""Exceptions that name what went wrong and where, so a user can fix the input."""

from gzxai.core.redact import redact


class GzxaiError(Exception):
    """Base class of every error gzxai raises on purpose; its message never carries a
    credential (see :mod:`gzxai.core.redact`)."""

    def __init__(self, message: object = "") -> None:
        super().__init__(redact(message))


class InputError(GzxaiError):
    """An input file is missing, unreadable or breaks its data contract.

    The message always names the file and, where it applies, the row and column.
    """


class ConfigError(GzxaiError):
    """The configuration is inconsistent in a way the JSON schema cannot express."""
