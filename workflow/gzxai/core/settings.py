"""Typed stage settings.

Each job kind has one frozen dataclass of the settings its results depend on, built once from
the workflow configuration in the stage's rule file (``from_config``: the only place that
names the configuration keys) and handed to the job as one JSON argument (``--params``),
which the command reads back into the same dataclass. Snakemake records the JSON, so a
changed setting reruns exactly the jobs that use it; a setting a job does not use is not in
its dataclass, so changing it reruns nothing.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from collections.abc import Mapping
from typing import Any, Self

from gzxai.core.errors import ConfigError


class Settings:
    """Mixin of the settings dataclasses: JSON out and back in, checked."""

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | Mapping[str, Any]) -> Self:
        """The settings a rule wrote with :meth:`to_json` (a JSON text or its mapping)."""
        try:
            values = json.loads(text) if isinstance(text, str) else dict(text)
        except json.JSONDecodeError as err:
            raise ConfigError(f"{cls.__name__}: --params is not JSON ({err})") from None
        return _build(cls, values)


def _build(cls: type, values: Mapping[str, Any]) -> Any:
    fields = {f.name: f for f in dataclasses.fields(cls)}
    required = {
        name
        for name, f in fields.items()
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    unknown, missing = set(values) - set(fields), required - set(values)
    if unknown or missing:
        raise ConfigError(
            f"{cls.__name__} settings: "
            + "; ".join(
                part
                for part in (
                    f"unknown {', '.join(sorted(unknown))}" if unknown else "",
                    f"missing {', '.join(sorted(missing))}" if missing else "",
                )
                if part
            )
            + " (a job run by hand needs the --params its rule wrote: snakemake -p prints it)"
        )
    hints = typing.get_type_hints(cls)
    return cls(**{name: _value(hints[name], value) for name, value in values.items()})


def _value(hint: Any, value: Any) -> Any:
    if dataclasses.is_dataclass(hint) and isinstance(value, Mapping):
        return _build(hint, value)
    if typing.get_origin(hint) is tuple and isinstance(value, list):
        items = typing.get_args(hint)[:1]
        return tuple(_value(items[0], v) for v in value) if items else tuple(value)
    return value
