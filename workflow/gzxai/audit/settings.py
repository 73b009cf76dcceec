"""Settings of the audit's two jobs: the ranking with its look-alike controls (CPU) and the
maps (CAMs, SmoothGrad, the sanity check and the bar masks; a TensorFlow job)."""

from __future__ import annotations

from dataclasses import dataclass

from gzxai.core.settings import Settings


@dataclass(frozen=True)
class RankSettings(Settings):
    """Which galaxies are ranked, how questions are weighed, and how many are shown."""

    top_k: int
    selected: int
    weight: float
    balanced_middle: tuple[float, float]
    balanced_min_share: float
    similar_weight: float
    few_votes: int
    chunk: int

    @classmethod
    def from_config(cls, config: dict) -> RankSettings:
        audit = config["audit"]
        return cls(
            top_k=int(audit["top_k"]),
            selected=int(audit["selected"]),
            weight=float(audit["weight"]),
            balanced_middle=tuple(audit["balanced"]["middle"]),
            balanced_min_share=float(audit["balanced"]["min_share"]),
            similar_weight=float(audit["similar_weight"]),
            few_votes=int(audit["few_votes"]),
            chunk=int(audit["chunk"]),
        )


@dataclass(frozen=True)
class MapSettings(Settings):
    """The maps of the selected galaxies and their controls, the sanity check and the
    bar-mask scores."""

    seed: int
    n_samples: int
    noise_level: float
    sanity_galaxies: int
    mask_galaxies: int
    bar_answer: str
    crop_px: int
    size_px: int

    @classmethod
    def from_config(cls, config: dict) -> MapSettings:
        from gzxai.core.config import image_geometry

        audit = config["audit"]
        geometry = image_geometry(config, "gz2")
        return cls(
            seed=int(config["seed"]),
            n_samples=int(audit["smoothgrad_samples"]),
            noise_level=float(audit["noise_level"]),
            sanity_galaxies=int(audit["sanity_galaxies"]),
            mask_galaxies=int(audit["mask_galaxies"]),
            bar_answer=str(audit["bar_answer"]),
            crop_px=int(geometry["crop_px"]),
            size_px=int(geometry["size_px"]),
        )
