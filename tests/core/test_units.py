import astropy.units as u
import numpy as np
import pytest

from gzxai.core import units


def test_gz2_pixel_scale_is_two_percent_of_petro_r90():
    assert units.gz2_pixel_scale(20 * u.arcsec).to_value(u.arcsec / u.pix) == pytest.approx(0.4)


def test_resized_pixels_undo_crop_and_resize():
    assert units.resized_to_gz2_pixels(10 * u.pix, 224).value == pytest.approx(10 * 424 / 224)
    assert units.resized_to_gz2_pixels(10 * u.pix, 64, crop_px=160).value == pytest.approx(25.0)


def test_cosmology_scale_matches_a_known_value():
    # Flat LCDM, H0 = 70, Om = 0.3: 0.985 kpc/arcsec at z = 0.05 (Wright's calculator).
    cosmo = units.cosmology(70.0, 0.3)
    kpc = units.angle_to_kpc(1 * u.arcsec, np.array([0.05]), cosmo)
    assert kpc.to_value(u.kpc)[0] == pytest.approx(0.985, rel=0.01)
    back = units.kpc_to_angle(kpc, np.array([0.05]), cosmo)
    assert back.to_value(u.arcsec)[0] == pytest.approx(1.0)


def test_hoyle_length_conventions():
    values = np.array([10.0])
    assert units.hoyle_length(values, units.HoyleLengthUnits.PAPER).value[0] == pytest.approx(7.0)
    assert units.hoyle_length(values, units.HoyleLengthUnits.KPC).value[0] == pytest.approx(10.0)


def test_length_scaled_round_trip():
    r90 = np.array([25.0]) * u.arcsec
    angle = units.length_scaled_to_angle(
        np.array([0.4]), r90, units.LengthScaled.PETRO_R90_FRACTION
    )
    assert angle.to_value(u.arcsec)[0] == pytest.approx(10.0)
    back = units.angle_to_length_scaled(angle, r90, units.LengthScaled.PETRO_R90_FRACTION)
    assert back[0] == pytest.approx(0.4)


def test_saliency_length_conventions_differ_as_documented():
    cosmo = units.cosmology()
    common = dict(size_px=224, crop_px=424, petro_r90=np.array([20.0]) * u.arcsec,
                  redshift=np.array([0.05]), cosmo=cosmo)  # fmt: skip
    paper = units.saliency_length(112 * u.pix, units=units.SaliencyLengthUnits.PAPER, **common)
    physical = units.saliency_length(
        112 * u.pix, units=units.SaliencyLengthUnits.PHYSICAL, **common
    )
    arcsec = 112 * 424 / 224 * 0.4
    assert paper.to_value(u.kpc)[0] == pytest.approx(arcsec * 0.396)
    assert physical.to_value(u.kpc)[0] == pytest.approx(arcsec * 0.985, rel=0.01)


def test_alpha_is_petrosian_radius_over_psf_sigma():
    alpha = units.resolution_alpha(np.array([3.0]) * u.arcsec, np.array([1.5]) * u.arcsec)
    assert alpha[0] == pytest.approx(2 * np.sqrt(2 * np.log(2)) * 2.0)
