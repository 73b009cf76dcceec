"""Settings of the synthetic survey's generator."""

from __future__ import annotations

from dataclasses import dataclass

from gzxai.core.settings import Settings


@dataclass(frozen=True)
class SynthesizeSettings(Settings):
    """The survey, its seed, and the conventions it is written in."""

    seed: int
    synthetic: dict
    conventions: dict

    @classmethod
    def from_config(cls, config: dict) -> SynthesizeSettings:
        conventions = config["conventions"]
        return cls(
            seed=config["seed"],
            synthetic=config["synthetic"],
            conventions={key: conventions[key] for key in ("cosmology", "length_scaled")},
        )
