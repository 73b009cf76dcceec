"""Where each source keeps which file: the real sources' layout, which the synthetic survey
writes too, so that one set of readers serves both.

Paths are relative to a source root (``results/sources/<source>`` by default, see
``sources.root`` in the config).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gzxai.core.errors import ConfigError


@dataclass(frozen=True)
class SourceLayout:
    root: Path

    # Kaggle "Galaxy Zoo - The Galaxy Challenge"
    @property
    def kaggle_solutions(self) -> Path:
        return self.root / "kaggle" / "training_solutions_rev1.csv"

    @property
    def kaggle_train_images(self) -> Path:
        return self.root / "kaggle" / "images_training_rev1"

    @property
    def kaggle_test_images(self) -> Path:
        return self.root / "kaggle" / "images_test_rev1"

    # Galaxy Zoo 2 (Hart et al. 2016 table, gz2sample metadata, Zenodo 3565489 images)
    @property
    def gz2_hart16(self) -> Path:
        return self.root / "gz2" / "gz2_hart16.csv.gz"

    @property
    def gz2sample(self) -> Path:
        return self.root / "gz2" / "gz2sample.csv"

    @property
    def gz2_mapping(self) -> Path:
        return self.root / "gz2" / "gz2_filename_mapping.csv"

    @property
    def gz2_images(self) -> Path:
        return self.root / "gz2" / "images_gz2" / "images"

    # Hoyle et al. (2011) bar lengths
    @property
    def hoyle(self) -> Path:
        return self.root / "hoyle" / "hoyle_barlengths.csv"

    # SDSS DR7 PhotoObj columns for the resolution parameter
    @property
    def photometry(self) -> Path:
        return self.root / "sdss" / "photometry.csv"

    # Only the synthetic survey has this
    @property
    def truth(self) -> Path:
        return self.root / "truth.parquet"

    def root_from(self, path: str | Path, attribute: str) -> Path:
        """The root under which ``path`` sits as this layout's ``attribute``.

        Rules derive the root from their (possibly storage-rewritten) input paths instead of
        hard-coding it.
        """
        relative = getattr(self, attribute).relative_to(self.root).parts
        parts = Path(path).parts
        if parts[-len(relative) :] != relative:
            raise ValueError(f"{path} is not a {attribute} path ({Path(*relative)})")
        return Path(*parts[: -len(relative)]) if len(parts) > len(relative) else Path()

    def tables(self) -> dict[str, Path]:
        """Every table a source provides (the truth table is synthetic-only)."""
        return {
            "kaggle_solutions": self.kaggle_solutions,
            "gz2_hart16": self.gz2_hart16,
            "gz2sample": self.gz2sample,
            "gz2_mapping": self.gz2_mapping,
            "hoyle": self.hoyle,
            "photometry": self.photometry,
        }

    def image_dirs(self) -> dict[str, Path]:
        return {
            "kaggle_train_images": self.kaggle_train_images,
            "kaggle_test_images": self.kaggle_test_images,
            "gz2_images": self.gz2_images,
        }


def kaggle_image_name(galaxy_id: int) -> str:
    return f"{int(galaxy_id)}.jpg"


def gz2_image_name(asset_id: int) -> str:
    return f"{int(asset_id)}.jpg"


def placed(*paths: str | Path) -> bool:
    """True if the source files or folders are all in place; an error if only some are
    (they come from one download, which would replace the ones there)."""
    present = [Path(p).exists() for p in paths]
    if all(present):
        return True
    if any(present):
        there = ", ".join(str(p) for p, ok in zip(paths, present, strict=True) if ok)
        absent = ", ".join(str(p) for p, ok in zip(paths, present, strict=True) if not ok)
        raise ConfigError(
            f"{there} in place but {absent} not: they come from one download, which would "
            "replace what is there. Place the rest too, or move these away to fetch them all."
        )
    return False
