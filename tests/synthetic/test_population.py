import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from gzxai.synthetic.population import R90_PX, draw_population, petrosian_radii
from gzxai.synthetic.survey import SurveyConfig

from ..conftest import small_config


def population_config(default_config, n=2000):
    return SurveyConfig.from_config(small_config(default_config, n)).population


def test_petrosian_radii_of_an_exponential_disk():
    # Closed forms for a unit exponential disk: enclosed light L(x) = 1 - (1 + x) e^-x and
    # Petrosian ratio I/<I> = x^2 e^-x / (2 L(x)) = 0.2 at the Petrosian radius.
    def enclosed(x):
        return 1 - (1 + x) * np.exp(-x)

    petro = optimize.brentq(lambda x: x**2 * np.exp(-x) / (2 * enclosed(x)) - 0.2, 1, 10)
    aperture = enclosed(2 * petro)
    r50 = optimize.brentq(lambda x: enclosed(x) - 0.5 * aperture, 0.1, 10)
    r90 = optimize.brentq(lambda x: enclosed(x) - 0.9 * aperture, 0.1, 10)
    radii = petrosian_radii(
        np.array([0.0]), np.array([1.0]), np.array([1.0]), np.array([1.0]), np.array([1.0])
    )
    assert radii["petro_rad"][0] == pytest.approx(petro, rel=0.005)
    assert radii["r50"][0] == pytest.approx(r50, rel=0.005)
    assert radii["r90"][0] == pytest.approx(r90, rel=0.005)


def test_alpha_is_independent_of_class_when_configured(default_config):
    cfg = population_config(default_config, 6000)
    pop = draw_population(cfg, 3)
    smooth = pop.loc[pop["true_class"] == "smooth", "alpha"]
    disk = pop.loc[pop["true_class"] == "disk", "alpha"]
    assert stats.ks_2samp(smooth, disk).pvalue > 0.01
    coupled = draw_population(dataclasses.replace(cfg, alpha_independent_of_class=False), 3)
    # Concentrated profiles have smaller Petrosian radii at fixed petroR90.
    assert coupled.loc[coupled["true_class"] == "smooth", "alpha"].median() < 0.9 * disk.median()


def test_same_seed_same_population_other_seed_other(default_config):
    cfg = population_config(default_config, 300)
    a, b, c = draw_population(cfg, 5), draw_population(cfg, 5), draw_population(cfg, 6)
    pd.testing.assert_frame_equal(a, b)
    assert not a["alpha"].equals(c["alpha"])


def test_size_scale_changes_resolution_only(default_config):
    """GZ2 images are scaled to petroR90, so a size scale moves α and the PSF in pixels only."""
    cfg = population_config(default_config, 400)
    full = draw_population(cfg, 7)
    half = draw_population(dataclasses.replace(cfg, size_scale=0.5), 7)
    galaxies = full["true_class"] != "star"
    np.testing.assert_allclose(half["alpha"][galaxies], 0.5 * full["alpha"][galaxies], rtol=1e-9)
    np.testing.assert_allclose(half["psf_fwhm_px"], 2 * full["psf_fwhm_px"], rtol=1e-9)
    np.testing.assert_allclose(half["petro_r90_kpc"], 0.5 * full["petro_r90_kpc"], rtol=1e-9)
    for pixel_column in ["disk_h_px", "bulge_re_px", "bar_half_length_px", "true_class"]:
        pd.testing.assert_series_equal(half[pixel_column], full[pixel_column])


def test_population_geometry_and_classes(default_config):
    cfg = population_config(default_config, 4000)
    pop = draw_population(cfg, 1)
    disk = pop["true_class"] == "disk"
    assert pop["true_class"].value_counts(normalize=True)["smooth"] == pytest.approx(
        cfg.smooth_fraction, abs=0.03
    )
    # Every GZ2 cutout shows petroR90 over 50 px: scale = 0.02 x petroR90.
    np.testing.assert_allclose(pop["pixel_scale_arcsec"], 0.02 * pop["petro_r90_arcsec"])
    bars = pop[pop["has_bar"]]
    assert not pop.loc[pop["has_bar"], "edge_on"].any()
    assert (bars["true_class"] == "disk").all()
    assert pop.loc[disk & ~pop["edge_on"], "has_bar"].mean() == pytest.approx(
        cfg.bar_fraction, abs=0.04
    )
    # Bar lengths follow the real length_scaled distribution (median 0.45 x petroR90).
    assert np.median(2 * bars["bar_half_length_px"] / R90_PX) == pytest.approx(0.45, abs=0.03)
    # A projected bar is never longer than the bar itself.
    assert (bars["bar_half_length_proj_kpc"] <= bars["bar_half_length_kpc"] * (1 + 1e-9)).all()
    # Bar position angles cover all orientations, including near-horizontal and vertical.
    assert bars["bar_pa_deg"].min() < 5 and bars["bar_pa_deg"].max() > 175
    assert ((bars["bar_pa_deg"] - 90).abs() < 5).any()


def test_flux_limited_galaxies_sit_beyond_the_hoyle_volume_and_within_the_flux_limit(
    default_config,
):
    from gzxai.core.units import cosmology
    from gzxai.synthetic.population import (
        FluxLimitedConfig,
        draw_flux_limited,
        hoyle_volume_limit,
    )

    cfg = population_config(default_config)
    flux = FluxLimitedConfig(n_galaxies=3000, r_mag_limit=17.0)
    pop = draw_flux_limited(cfg, flux, 5)
    assert len(pop) == 3000
    assert hoyle_volume_limit() == pytest.approx(0.06)
    assert (pop["redshift"] > 0.06).all()
    cosmo = cosmology(cfg.cosmology_h0, cfg.cosmology_omega_m)
    apparent = pop["abs_mag_r"] + cosmo.distmod(pop["redshift"].to_numpy()).value
    assert apparent.max() <= 17.0 + 1e-6
    # Uniform in comoving volume up to the limit: most galaxies sit near their horizon, and
    # the survey favours luminous galaxies, which are seen through a larger volume.
    assert np.median(apparent) > 16.0
    near = draw_population(cfg, 5)
    assert pop["abs_mag_r"].median() < near["abs_mag_r"].median() - 0.3
    assert pop["alpha"].median() < 0.7 * near["alpha"].median()
    a_fainter = draw_flux_limited(cfg, FluxLimitedConfig(3000, 16.0), 5)
    assert a_fainter["redshift"].median() < pop["redshift"].median()
