"""The unit chain of the bar stage: map pixels, Hoyle's ``length_scaled`` and the synthetic
truth's angles, each in the catalogue's unit, under the configured conventions."""

from __future__ import annotations

from dataclasses import dataclass

import astropy.units as u
import numpy as np
import pandas as pd

from gzxai.core import units


@dataclass(frozen=True)
class Conventions:
    """How pixel lengths become catalogue units (the ``conventions`` block and the images)."""

    saliency_length_units: str
    hoyle_length_units: str
    h0: float
    omega_m: float
    size_px: int
    crop_px: int
    length_scaled: str = "petroR90_fraction"

    @property
    def cosmology(self):
        return units.cosmology(self.h0, self.omega_m)

    def kpc(self, angle: u.Quantity, redshift: np.ndarray) -> u.Quantity:
        """Physical length of an angle at each galaxy's redshift."""
        return units.angle_to_kpc(angle, np.asarray(redshift, float), self.cosmology)

    def in_catalogue_units(self, kpc: np.ndarray) -> np.ndarray:
        """Lengths in kpc in the catalogue's own h convention."""
        hoyle = units.HoyleLengthUnits(self.hoyle_length_units)
        return units.hoyle_length(kpc, hoyle, self.h0 / 100).to_value(u.kpc)


def to_catalogue_units(
    length_px: np.ndarray, galaxies: pd.DataFrame, conv: Conventions
) -> np.ndarray:
    """Map-pixel lengths in the catalogue's unit; ``galaxies`` rows align with ``length_px``.

    ``paper``: the authors' formula, whose result they compare with h⁻¹ kpc directly.
    ``physical``: kpc at the galaxy's redshift, then the catalogue's own h convention.
    """
    kpc = units.saliency_length(
        np.asarray(length_px, float) * u.pix,
        size_px=conv.size_px,
        crop_px=conv.crop_px,
        petro_r90=galaxies["petro_r90_arcsec"].to_numpy(float) * u.arcsec,
        redshift=galaxies["redshift"].to_numpy(float),
        units=units.SaliencyLengthUnits(conv.saliency_length_units),
        cosmo=conv.cosmology,
    ).to_value(u.kpc)
    if units.SaliencyLengthUnits(conv.saliency_length_units) is units.SaliencyLengthUnits.PAPER:
        return kpc
    return conv.in_catalogue_units(kpc)


def scaled_to_catalogue_units(
    length_scaled: np.ndarray, galaxies: pd.DataFrame, conv: Conventions
) -> np.ndarray:
    """Hoyle's image-native ``length_scaled`` (what the direct CNN predicts) in catalogue units."""
    r90 = galaxies["petro_r90_arcsec"].to_numpy(float) * u.arcsec
    angle = units.length_scaled_to_angle(length_scaled, r90, units.LengthScaled(conv.length_scaled))
    return conv.in_catalogue_units(conv.kpc(angle, galaxies["redshift"]).to_value(u.kpc))


def true_lengths(truth: pd.DataFrame, conv: Conventions) -> np.ndarray:
    """The synthetic survey's true projected full bar length, in the catalogue's unit."""
    arcsec = 2 * truth["bar_half_length_arcsec"].to_numpy(float) * u.arcsec
    return conv.in_catalogue_units(conv.kpc(arcsec, truth["redshift"]).to_value(u.kpc))


def galaxy_size_kpc(galaxies: pd.DataFrame, conv: Conventions) -> np.ndarray:
    """petroR90_r in kpc: the size the partial correlation controls for."""
    arcsec = galaxies["petro_r90_arcsec"].to_numpy(float) * u.arcsec
    return conv.kpc(arcsec, galaxies["redshift"]).value
