"""Exceptions that name what went wrong and where, so a user can fix the input."""


class GzxaiError(Exception):
    """Base class of every error gzxai raises on purpose."""


class InputError(GzxaiError):
    """An input file is missing, unreadable or breaks its data contract.

    The message always names the file and, where it applies, the row and column.
    """


class ConfigError(GzxaiError):
    """The configuration is inconsistent in a way the JSON schema cannot express."""
