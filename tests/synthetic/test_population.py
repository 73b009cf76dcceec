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


def flux_limited_config(default_config: dict, **changes):
    from gzxai.synthetic.population import FluxLimitedConfig

    block = {**default_config["synthetic"]["flux_limited"], **changes}
    return FluxLimitedConfig.from_config(block)


def test_gz2_part_follows_the_gz2_selection_beyond_the_hoyle_volume(default_config):
    from gzxai.core.units import cosmology
    from gzxai.synthetic.population import draw_flux_limited, hoyle_volume_limit

    cfg = population_config(default_config)
    flux = flux_limited_config(default_config, n_galaxies=3000)
    pop = draw_flux_limited(cfg, flux, 5)
    assert len(pop) == 3000
    assert hoyle_volume_limit() == pytest.approx(0.06)
    assert (pop["redshift"] > 0.06).all() and (pop["redshift"] <= 0.25).all()
    assert (pop["petro_r90_arcsec"] >= 3.0).all()
    cosmo = cosmology(cfg.cosmology_h0, cfg.cosmology_omega_m)
    apparent = pop["abs_mag_r"] + cosmo.distmod(pop["redshift"].to_numpy()).value
    assert apparent.max() <= 17.0 + 1e-6
    # A flux-limited sample piles up near its limit and favours luminous galaxies.
    assert np.median(apparent) > 16.0
    near = draw_population(cfg, 5)
    assert pop["abs_mag_r"].median() < near["abs_mag_r"].median() - 0.3
    a_fainter = draw_flux_limited(cfg, flux_limited_config(default_config, n_galaxies=3000,
                                                           r_mag_limit=16.0), 5)  # fmt: skip
    assert a_fainter["redshift"].median() < pop["redshift"].median()


def test_gz2_part_has_sdss_sizes_and_seeing(default_config):
    """Half-light radii on Shen et al. (2003)'s relation per type, with its scatter; the PSF
    width's quartiles those of SDSS r-band fields; α far below the Hoyle galaxies'."""
    from gzxai.core.units import cosmology
    from gzxai.synthetic.population import draw_flux_limited, shen2003_ln_scatter
    from gzxai.synthetic.priors import shen2003_median_r50
    from gzxai.synthetic.survey import size_check

    cfg = population_config(default_config)
    pop = draw_flux_limited(cfg, flux_limited_config(default_config, n_galaxies=4000), 9)
    cosmo = cosmology(cfg.cosmology_h0, cfg.cosmology_omega_m)
    ratios = size_check(pop, cosmo)
    for kind in ("disk", "smooth"):
        assert 0.8 <= ratios[kind] <= 1.25, (kind, ratios)
    disks = pop[pop["true_class"] == "disk"]
    r50_kpc = (
        disks["petro_r50_arcsec"]
        * cosmo.kpc_proper_per_arcmin(disks["redshift"].to_numpy()).value
        / 60.0
    )
    log_ratio = np.log(r50_kpc / shen2003_median_r50(disks["abs_mag_r"].to_numpy()))
    # The r ≥ 3″ cut trims the small end a little; the scatter stays near Shen's.
    expected = np.median(shen2003_ln_scatter(disks["abs_mag_r"].to_numpy()))
    assert 0.75 * expected < log_ratio.std() < 1.15 * expected
    quartiles = np.quantile(pop["psf_fwhm_arcsec"], [0.25, 0.5, 0.75])
    np.testing.assert_allclose(quartiles, [1.30, 1.43, 1.58], rtol=0.03)
    near = draw_population(cfg, 9)
    assert pop["alpha"].median() < 0.5 * near["alpha"].median()
