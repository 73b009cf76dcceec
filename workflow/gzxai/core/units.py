"""Physical units and the conventions the literature disagrees on.

Every length crosses these functions as an ``astropy.units.Quantity``; bare floats are only
written to files (whose column names carry the unit) and read back here. The conventions are
named config choices (``conventions`` in ``config/config.yaml``), documented in
``config/README.md``, and default to what the paper's authors did.
"""

from __future__ import annotations

from enum import StrEnum

import astropy.units as u
import numpy as np
from astropy.cosmology import FlatLambdaCDM

#: Side of a Galaxy Zoo 2 / Kaggle image in pixels.
GZ2_IMAGE_PX = 424
#: GZ2 cutouts are scaled to the galaxy: 0.02 × petroR90_r arcsec per pixel (Willett+ 2013).
GZ2_SCALE_PER_R90 = 0.02 * u.arcsec / u.pix
#: SDSS imaging camera pixel (Gunn et al. 1998); enters only the paper's own conversion.
SDSS_PIXEL_SCALE = 0.396 * u.arcsec / u.pix
#: FWHM = 2 sqrt(2 ln 2) sigma for a Gaussian.
FWHM_PER_SIGMA = 2.0 * np.sqrt(2.0 * np.log(2.0))


class HoyleLengthUnits(StrEnum):
    """How to read the numbers in Hoyle et al. (2011) ``length_avg``/``width_avg``.

    The file labels them h⁻¹ kpc, but they are kpc computed with h = 0.7 (paper §2).
    """

    #: Paper's choice: kpc (h = 0.7) converted to h⁻¹ kpc, i.e. multiplied by h = 0.7.
    PAPER = "h_inverse_kpc"
    #: Take the numbers as kpc (h = 0.7), unchanged.
    KPC = "kpc"

    @property
    def label(self) -> str:
        """The unit as printed on axes and in tables."""
        return "h⁻¹ kpc" if self is HoyleLengthUnits.PAPER else "kpc"


class LengthScaled(StrEnum):
    """Meaning of Hoyle's ``length_scaled`` column (defined in no file we could read)."""

    #: The authors' code: full bar length in units of PETROR90_R, so
    #: length_scaled × PETROR90_R is the bar length in arcsec.
    PETRO_R90_FRACTION = "petroR90_fraction"


class SaliencyLengthUnits(StrEnum):
    """How a length measured in resized-image pixels is turned into a physical length."""

    #: Paper §4.4: px × (424/size) × 0.02 × petroR90_r × 0.396, reported as h⁻¹ kpc.
    PAPER = "paper"
    #: px → 424-px grid → arcsec (0.02 × petroR90_r per px) → kpc at the galaxy's redshift.
    PHYSICAL = "physical"


def cosmology(h0: float = 70.0, omega_m: float = 0.3) -> FlatLambdaCDM:
    """The flat ΛCDM used to turn angles into kpc (default: the GZ2 tables' own, h = 0.7)."""
    return FlatLambdaCDM(H0=h0 * u.km / u.s / u.Mpc, Om0=omega_m)


def gz2_pixel_scale(petro_r90: u.Quantity) -> u.Quantity:
    """Arcsec per pixel of a 424-px GZ2 image of a galaxy with the given petroR90_r."""
    return GZ2_SCALE_PER_R90 * petro_r90.to_value(u.arcsec)


def resized_to_gz2_pixels(
    length: u.Quantity, size_px: int, crop_px: int = GZ2_IMAGE_PX
) -> u.Quantity:
    """Undo the centre crop (``crop_px`` of the 424 grid) and resize to ``size_px``."""
    return (length.to_value(u.pix) * crop_px / size_px) * u.pix


def angle_to_kpc(angle: u.Quantity, redshift: np.ndarray, cosmo: FlatLambdaCDM) -> u.Quantity:
    """Proper transverse length subtended by ``angle`` at ``redshift``."""
    return (angle * cosmo.kpc_proper_per_arcmin(redshift)).to(u.kpc)


def kpc_to_angle(length: u.Quantity, redshift: np.ndarray, cosmo: FlatLambdaCDM) -> u.Quantity:
    return (length / cosmo.kpc_proper_per_arcmin(redshift)).to(u.arcsec)


def hoyle_length(values: np.ndarray, units: HoyleLengthUnits, h: float = 0.7) -> u.Quantity:
    """Hoyle catalogue lengths in the configured unit (kpc, or h⁻¹ kpc as a kpc Quantity).

    astropy has no h⁻¹ kpc unit; h⁻¹ kpc values are returned as ``kpc`` quantities and the
    convention travels with the config (and with the column name in outputs).
    """
    values = np.asarray(values, dtype=float)
    match HoyleLengthUnits(units):
        case HoyleLengthUnits.PAPER:
            return values * h * u.kpc
        case HoyleLengthUnits.KPC:
            return values * u.kpc


def length_scaled_to_angle(
    length_scaled: np.ndarray, petro_r90: u.Quantity, meaning: LengthScaled
) -> u.Quantity:
    """Bar length in arcsec from Hoyle's ``length_scaled`` under the configured meaning."""
    match LengthScaled(meaning):
        case LengthScaled.PETRO_R90_FRACTION:
            return np.asarray(length_scaled, dtype=float) * petro_r90.to(u.arcsec)


def angle_to_length_scaled(
    angle: u.Quantity, petro_r90: u.Quantity, meaning: LengthScaled
) -> np.ndarray:
    """Inverse of :func:`length_scaled_to_angle` (used by the synthetic survey's writer)."""
    match LengthScaled(meaning):
        case LengthScaled.PETRO_R90_FRACTION:
            return (angle / petro_r90).to_value(u.dimensionless_unscaled)


def saliency_length(
    length: u.Quantity,
    *,
    size_px: int,
    crop_px: int,
    petro_r90: u.Quantity,
    redshift: np.ndarray,
    units: SaliencyLengthUnits,
    cosmo: FlatLambdaCDM,
) -> u.Quantity:
    """A length measured on a resized (and cropped) image, in kpc under the chosen convention."""
    gz2_px = resized_to_gz2_pixels(length, size_px, crop_px)
    match SaliencyLengthUnits(units):
        case SaliencyLengthUnits.PAPER:
            # The paper multiplies the GZ2 scale by the SDSS pixel scale once more; kept
            # verbatim so that its numbers can be reproduced.
            arcsec = gz2_px * gz2_pixel_scale(petro_r90)
            return arcsec.to_value(u.arcsec) * SDSS_PIXEL_SCALE.value * u.kpc
        case SaliencyLengthUnits.PHYSICAL:
            return angle_to_kpc(gz2_px * gz2_pixel_scale(petro_r90), redshift, cosmo)


def resolution_alpha(petro_rad: u.Quantity, psf_fwhm: u.Quantity) -> np.ndarray:
    """Resolution parameter α = 2√(2 ln 2)·petroRad_r/psfWidth_r (Cabrera-Vives+ 2018).

    petroRad_r is the Petrosian radius and psfWidth_r the PSF FWHM, so α is the Petrosian
    radius in units of the PSF's Gaussian σ.
    """
    return (FWHM_PER_SIGMA * petro_rad / psf_fwhm).to_value(u.dimensionless_unscaled)
