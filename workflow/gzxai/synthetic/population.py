"""Draw the synthetic galaxy population: physical parameters, sizes, resolution and truth.

All draws are vectorised over galaxies and come from one seeded generator, so the same
config gives the same population. Image geometry follows GZ2: a 424-px cutout at
0.02 × petroR90_r arcsec per pixel, so every galaxy's petroR90_r spans 50 px and what varies
from galaxy to galaxy is the PSF in pixels (the resolution α) and the structure.
"""

from __future__ import annotations

from dataclasses import dataclass

import astropy.units as u
import numpy as np
import pandas as pd
from scipy import special, stats

from gzxai.core.units import (
    GZ2_SCALE_PER_R90,
    angle_to_kpc,
    cosmology,
    kpc_to_angle,
    resolution_alpha,
)
from gzxai.synthetic import priors as priors_mod

#: petroR90_r in pixels of the 424-px grid, for every galaxy (1 / 0.02).
R90_PX = float(1.0 / GZ2_SCALE_PER_R90.value)
#: SDSS defines the Petrosian radius where the local/mean surface brightness ratio is 0.2.
PETROSIAN_ETA = 0.2
EDGE_ON_INCLINATION_DEG = 80.0


@dataclass(frozen=True)
class PopulationConfig:
    """The ``synthetic.population`` block of the config (see config/README.md)."""

    n_galaxies: int
    smooth_fraction: float
    star_fraction: float
    bar_fraction: float
    spiral_fraction: float
    ring_fraction: float
    merger_fraction: float
    bulge_fraction_range: tuple[float, float]
    bar_fraction_range: tuple[float, float]
    bulge_sersic_range: tuple[float, float]
    smooth_sersic_range: tuple[float, float]
    psf_fwhm_median_arcsec: float
    psf_fwhm_sigma_dex: float
    quantile_clip: float
    alpha_independent_of_class: bool
    cosmology_h0: float
    cosmology_omega_m: float
    size_scale: float = 1.0

    @classmethod
    def from_config(cls, block: dict, conventions: dict) -> PopulationConfig:
        ranges = {k: tuple(v) for k, v in block.items() if k.endswith("_range")}
        scalars = {k: v for k, v in block.items() if not k.endswith("_range")}
        return cls(
            **scalars,
            **ranges,
            cosmology_h0=conventions["cosmology"]["h0"],
            cosmology_omega_m=conventions["cosmology"]["omega_m"],
        )


def sersic_b(n: np.ndarray) -> np.ndarray:
    """b_n such that r_e encloses half the light of a Sérsic profile."""
    return special.gammaincinv(2.0 * n, 0.5)


def _enclosed_sersic(r: np.ndarray, r_e: np.ndarray, n: np.ndarray) -> np.ndarray:
    return special.gammainc(2.0 * n, sersic_b(n) * (r / r_e) ** (1.0 / n))


def _surface_sersic(r: np.ndarray, r_e: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Surface brightness of a unit-flux Sérsic profile."""
    b = sersic_b(n)
    norm = 2.0 * np.pi * n * r_e**2 * np.exp(b) * special.gamma(2.0 * n) / b ** (2.0 * n)
    return np.exp(-b * ((r / r_e) ** (1.0 / n) - 1.0)) / norm


def petrosian_radii(
    bulge_flux: np.ndarray,
    bulge_re: np.ndarray,
    bulge_n: np.ndarray,
    disk_flux: np.ndarray,
    disk_h: np.ndarray,
) -> dict[str, np.ndarray]:
    """Petrosian radius, R50 and R90 (SDSS definitions) of face-on bulge + disk profiles.

    Radii are in the units of ``bulge_re``/``disk_h``; one row per galaxy. The Petrosian
    flux is the light within twice the Petrosian radius, as in SDSS.
    """
    scale = np.maximum(bulge_re, np.where(disk_flux > 0, disk_h, 0))[:, None]
    r = scale * np.geomspace(1e-3, 40.0, 2048)[None, :]
    b_re, b_n, b_f = bulge_re[:, None], bulge_n[:, None], bulge_flux[:, None]
    d_h, d_f = np.where(disk_flux > 0, disk_h, 1.0)[:, None], disk_flux[:, None]
    surface = b_f * _surface_sersic(r, b_re, b_n) + d_f * np.exp(-r / d_h) / (2 * np.pi * d_h**2)
    enclosed = b_f * _enclosed_sersic(r, b_re, b_n) + d_f * (1 - (1 + r / d_h) * np.exp(-r / d_h))
    eta = surface * np.pi * r**2 / enclosed
    petro_index = np.argmax(eta < PETROSIAN_ETA, axis=1)
    rows = np.arange(len(r))
    petro_rad = r[rows, petro_index]
    aperture_flux = np.array(
        [np.interp(2 * p, ri, ei) for p, ri, ei in zip(petro_rad, r, enclosed, strict=True)]
    )

    def radius_enclosing(fraction: float) -> np.ndarray:
        return np.array(
            [
                np.interp(fraction * f, ei, ri)
                for f, ri, ei in zip(aperture_flux, r, enclosed, strict=True)
            ]
        )

    return {"petro_rad": petro_rad, "r50": radius_enclosing(0.5), "r90": radius_enclosing(0.9)}


def draw_population(cfg: PopulationConfig, seed: int) -> pd.DataFrame:
    """One row per galaxy with every structural, photometric and truth parameter.

    Redshift, size, magnitude and bar shape come from the Hoyle-derived copula, so these
    galaxies share the Hoyle catalogue's volume limit (z ≤ 0.06).
    """
    rng = np.random.default_rng(seed)
    drawn = priors_mod.sample(priors_mod.load(), cfg.n_galaxies, rng, clip=cfg.quantile_clip)
    return _structure(cfg, drawn, rng)


@dataclass(frozen=True)
class FluxLimitedConfig:
    """The ``synthetic.flux_limited`` block: the GZ2 main sample beyond the Hoyle volume."""

    n_galaxies: int
    r_mag_limit: float
    min_r90_arcsec: float
    max_redshift: float
    schechter_m_star: float
    schechter_alpha: float
    psf_fwhm_quartiles_arcsec: tuple[float, float, float]

    @classmethod
    def from_config(cls, block: dict) -> FluxLimitedConfig:
        return cls(
            **{**block, "psf_fwhm_quartiles_arcsec": tuple(block["psf_fwhm_quartiles_arcsec"])}
        )

    @property
    def seeing(self) -> Seeing:
        """The log-normal seeing whose median and quartiles are the configured ones."""
        low, median, high = self.psf_fwhm_quartiles_arcsec
        sigma_dex = np.log10(high / low) / (2.0 * stats.norm.ppf(0.75))
        return Seeing(median_arcsec=median, sigma_dex=float(sigma_dex))


@dataclass(frozen=True)
class Seeing:
    """Log-normal PSF FWHM: median in arcsec, scatter in dex."""

    median_arcsec: float
    sigma_dex: float


#: Separates the flux-limited galaxies' draws from the volume-limited population's.
_FLUX_LIMITED_STREAM = 11
#: Absolute-magnitude grid of the luminosity function: far brighter than any galaxy drawn.
_MAG_GRID_BRIGHTEST = -25.5
_GRID_POINTS = 4001
#: Shen et al. (2003) eq. (16) with their Table 1 r-band values: the scatter of ln R50 about
#: the median relation, larger for faint galaxies. Applied to early and late types alike.
SHEN2003_SCATTER = {"sigma1": 0.48, "sigma2": 0.25, "m0": -20.52}


def hoyle_volume_limit() -> float:
    """Highest redshift of the Hoyle catalogue (its volume limit), from the shipped priors."""
    return float(priors_mod.load()["quantiles"]["redshift"][-1])


def shen2003_ln_scatter(abs_mag_r: np.ndarray) -> np.ndarray:
    """σ(ln R50) at M_r (Shen et al. 2003 eq. 16)."""
    s = SHEN2003_SCATTER
    m = np.asarray(abs_mag_r, float)
    return s["sigma2"] + (s["sigma1"] - s["sigma2"]) / (1.0 + 10 ** (-0.8 * (m - s["m0"])))


def schechter_cumulative(magnitudes: np.ndarray, m_star: float, alpha: float) -> np.ndarray:
    """Number of galaxies brighter than each of the ascending ``magnitudes`` (arbitrary norm).

    φ(M) ∝ 10^(0.4(α+1)(M*−M)) exp(−10^(0.4(M*−M))), integrated with the trapezoid rule.
    """
    x = 10 ** (0.4 * (m_star - magnitudes))
    density = x ** (alpha + 1.0) * np.exp(-x)
    steps = 0.5 * (density[1:] + density[:-1]) * np.diff(magnitudes)
    return np.concatenate([[0.0], np.cumsum(steps)])


def draw_redshift_magnitude(
    flux: FluxLimitedConfig, cosmo, z_low: float, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(z, M_r) of ``n`` galaxies of a flux-limited sample with z in (z_low, max_redshift].

    The number density is the Schechter function times the comoving volume element, cut at
    m_r = M_r + DM(z) ≤ ``r_mag_limit`` (no K-correction): z from its marginal n(z) ∝
    dV/dz · Φ(< M_lim(z)), then M_r from the luminosity function truncated at M_lim(z), both by
    inverting cumulative distributions on fine grids.
    """
    z_grid = np.linspace(z_low, flux.max_redshift, _GRID_POINTS)
    m_limit = flux.r_mag_limit - cosmo.distmod(z_grid).value
    m_grid = np.linspace(_MAG_GRID_BRIGHTEST, float(m_limit.max()), _GRID_POINTS)
    brighter = schechter_cumulative(m_grid, flux.schechter_m_star, flux.schechter_alpha)
    seen = np.interp(m_limit, m_grid, brighter)
    n_of_z = cosmo.differential_comoving_volume(z_grid).value * seen
    z_cdf = np.concatenate([[0.0], np.cumsum(0.5 * (n_of_z[1:] + n_of_z[:-1]) * np.diff(z_grid))])
    redshift = np.interp(rng.uniform(size=n) * z_cdf[-1], z_cdf, z_grid)
    limit_count = np.interp(np.interp(redshift, z_grid, m_limit), m_grid, brighter)
    abs_mag = np.interp(rng.uniform(size=n) * limit_count, brighter, m_grid)
    return redshift, abs_mag


def draw_flux_limited(cfg: PopulationConfig, flux: FluxLimitedConfig, seed: int) -> pd.DataFrame:
    """Galaxies of the GZ2 main sample beyond the Hoyle volume, with SDSS sizes and seeing.

    GZ2 is flux-limited (Willett et al. 2013 §2: Petrosian m_r ≤ 17.0, petroR90_r ≥ 3″,
    0.0005 < z < 0.25), while the copula describes the Hoyle catalogue, volume-limited at
    z ≤ 0.06. Beyond z = 0.06 redshift and M_r follow the luminosity function in the
    flux-limited volume (:func:`draw_redshift_magnitude`); the half-light radius follows Shen
    et al. (2003)'s size–luminosity relation for the galaxy's type (early for smooth, late
    for disks) with their log-normal scatter; the seeing follows the SDSS r-band PSF width
    distribution. Galaxies smaller than ``min_r90_arcsec`` are rejected and redrawn. The bar
    shape (length over petroR90, width over length) comes from the copula's marginals.
    """
    rng = np.random.default_rng([seed, _FLUX_LIMITED_STREAM])
    priors = priors_mod.load()
    cosmo = cosmology(cfg.cosmology_h0, cfg.cosmology_omega_m)
    z_low = hoyle_volume_limit()
    if flux.max_redshift <= z_low:
        raise ValueError(
            f"synthetic.flux_limited.max_redshift = {flux.max_redshift} is inside the Hoyle "
            f"volume (z ≤ {z_low})"
        )
    accepted: list[pd.DataFrame] = []
    while sum(len(a) for a in accepted) < flux.n_galaxies:
        batch = max(64, int(1.2 * (flux.n_galaxies - sum(len(a) for a in accepted))))
        drawn = priors_mod.sample(priors, batch, rng, clip=cfg.quantile_clip)
        drawn["redshift"], drawn["abs_mag_r"] = draw_redshift_magnitude(
            flux, cosmo, z_low, batch, rng
        )
        galaxies = _structure(cfg, drawn, rng, seeing=flux.seeing, shen_sizes=True)
        accepted.append(galaxies[galaxies["petro_r90_arcsec"] >= flux.min_r90_arcsec])
    return pd.concat(accepted, ignore_index=True).head(flux.n_galaxies)


def _structure(
    cfg: PopulationConfig,
    drawn: pd.DataFrame,
    rng: np.random.Generator,
    seeing: Seeing | None = None,
    shen_sizes: bool = False,
) -> pd.DataFrame:
    """Class, structure, sizes, PSF and α of galaxies with the copula variables ``drawn``.

    ``seeing`` defaults to the population block's; ``shen_sizes`` replaces the copula's
    petroR90 with Shen et al. (2003)'s half-light radius for the galaxy's type and M_r. The
    draws happen in one fixed order (class and shape, sizes and seeing, then the bar and the
    other features): the order is part of what the seed reproduces.
    """
    seeing = seeing or Seeing(cfg.psf_fwhm_median_arcsec, cfg.psf_fwhm_sigma_dex)
    shape = _shapes(cfg, len(drawn), rng)
    sizes = _sizes(cfg, drawn, shape, rng, seeing, shen_sizes)
    features = _features(cfg, drawn, shape, sizes, rng)
    return pd.DataFrame(
        {
            "true_class": shape["kind"],
            "redshift": sizes["redshift"],
            "petro_r90_kpc": sizes["r90_kpc"],
            "petro_r90_arcsec": sizes["r90_arcsec"],
            "petro_r50_arcsec": sizes["r50_arcsec"],
            "petro_rad_arcsec": sizes["petro_rad_arcsec"],
            "pixel_scale_arcsec": sizes["pixel_scale"],
            "psf_fwhm_arcsec": sizes["psf_fwhm"],
            "psf_fwhm_px": sizes["psf_fwhm"] / sizes["pixel_scale"],
            "alpha": sizes["alpha"],
            "abs_mag_r": drawn["abs_mag_r"].to_numpy(),
            "inclination_deg": shape["inclination"],
            "axis_ratio": shape["axis_ratio"],
            "disk_pa_deg": shape["position_angle"],
            "edge_on": shape["edge_on"],
            "sersic_n": shape["bulge_n"],
            "bulge_fraction": shape["bulge_frac"],
            "disk_fraction": shape["disk_frac"],
            "bar_fraction": shape["bar_frac"],
            "bulge_re_px": shape["bulge_re_rel"] * sizes["px_per_unit"],
            "disk_h_px": np.where(shape["disk"], sizes["px_per_unit"], np.nan),
            "has_bar": shape["has_bar"],
            **features,
        }
    )


def _shapes(cfg: PopulationConfig, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Class, inclination, orientation and the components' Sérsic indices and fractions."""
    kind = rng.choice(
        ["smooth", "disk", "star"],
        size=n,
        p=[cfg.smooth_fraction, 1 - cfg.smooth_fraction - cfg.star_fraction, cfg.star_fraction],
    )
    disk = kind == "disk"
    smooth = kind == "smooth"
    inclination = np.degrees(np.arccos(rng.uniform(0.0, 1.0, n)))
    inclination = np.where(disk, inclination, 0.0)
    edge_on = disk & (inclination >= EDGE_ON_INCLINATION_DEG)
    axis_ratio = np.where(
        disk, np.maximum(np.cos(np.radians(inclination)), 0.12), rng.uniform(0.3, 1.0, n)
    )
    position_angle = rng.uniform(0.0, 180.0, n)
    bulge_n = np.where(
        smooth, rng.uniform(*cfg.smooth_sersic_range, n), rng.uniform(*cfg.bulge_sersic_range, n)
    )
    bulge_frac = np.where(smooth, 1.0, rng.uniform(*cfg.bulge_fraction_range, n))
    has_bar = disk & ~edge_on & (rng.uniform(size=n) < cfg.bar_fraction)
    bar_frac = np.where(has_bar, rng.uniform(*cfg.bar_fraction_range, n), 0.0)
    return {
        "kind": kind,
        "disk": disk,
        "smooth": smooth,
        "inclination": inclination,
        "edge_on": edge_on,
        "axis_ratio": axis_ratio,
        "position_angle": position_angle,
        "bulge_n": bulge_n,
        "bulge_frac": bulge_frac,
        "has_bar": has_bar,
        "bar_frac": bar_frac,
        "disk_frac": np.where(disk, 1.0 - bulge_frac - bar_frac, 0.0),
        # Bulge effective radius relative to the disk scale length (Fisher & Drory-like 0.1-0.4).
        "bulge_re_rel": np.where(smooth, 1.0, rng.uniform(0.1, 0.4, n)),
    }


def _sizes(
    cfg: PopulationConfig,
    drawn: pd.DataFrame,
    shape: dict,
    rng: np.random.Generator,
    seeing: Seeing,
    shen_sizes: bool,
) -> dict[str, np.ndarray]:
    """Radii on the sky and in kpc, pixel scale, seeing and the resolution α."""
    n = len(drawn)
    cosmo = cosmology(cfg.cosmology_h0, cfg.cosmology_omega_m)
    radii = petrosian_radii(
        shape["bulge_frac"], shape["bulge_re_rel"], shape["bulge_n"], shape["disk_frac"], np.ones(n)
    )
    # Scale every profile so that its petroR90 spans R90_PX pixels, as GZ2 cutouts do.
    px_per_unit = R90_PX / radii["r90"]
    redshift = drawn["redshift"].to_numpy()
    psf_fwhm = seeing.median_arcsec * 10 ** rng.normal(0.0, seeing.sigma_dex, n)
    if shen_sizes:
        abs_mag = drawn["abs_mag_r"].to_numpy()
        median_r50 = np.where(
            shape["smooth"],
            priors_mod.shen2003_median_r50(abs_mag, early_type=True),
            priors_mod.shen2003_median_r50(abs_mag, early_type=False),
        )
        r50_kpc = median_r50 * np.exp(shen2003_ln_scatter(abs_mag) * rng.standard_normal(n))
        r90_kpc_drawn = cfg.size_scale * r50_kpc * (radii["r90"] / radii["r50"]) * u.kpc
    else:
        r90_kpc_drawn = cfg.size_scale * 10 ** drawn["log10_petro_r90_kpc"].to_numpy() * u.kpc
    r90_arcsec = kpc_to_angle(r90_kpc_drawn, redshift, cosmo).to_value(u.arcsec)
    if cfg.alpha_independent_of_class and not shen_sizes:
        # The drawn size fixes the Petrosian radius a pure exponential disk of that petroR90
        # would have, whatever the profile: α then carries no class information, which is
        # the assumption of the θ fit (Medina 2023 §4.4). Concentrated (smooth) profiles get
        # a larger petroR90 for the same Petrosian radius.
        reference = petrosian_radii(*(np.array([v]) for v in (0.0, 1.0, 1.0, 1.0, 1.0)))
        petro_over_r90 = float(reference["petro_rad"][0] / reference["r90"][0])
        r90_arcsec = r90_arcsec * petro_over_r90 * radii["r90"] / radii["petro_rad"]
    r90_kpc = angle_to_kpc(r90_arcsec * u.arcsec, redshift, cosmo).to_value(u.kpc)
    pixel_scale = GZ2_SCALE_PER_R90.value * r90_arcsec
    petro_rad_arcsec = radii["petro_rad"] * px_per_unit * pixel_scale
    # A star's Petrosian radius is set by the PSF alone (about one FWHM for a Gaussian).
    petro_rad_arcsec = np.where(shape["kind"] == "star", psf_fwhm, petro_rad_arcsec)
    return {
        "redshift": redshift,
        "r90_kpc": r90_kpc,
        "r90_arcsec": r90_arcsec,
        "r50_arcsec": radii["r50"] * px_per_unit * pixel_scale,
        "petro_rad_arcsec": petro_rad_arcsec,
        "pixel_scale": pixel_scale,
        "psf_fwhm": psf_fwhm,
        "alpha": resolution_alpha(petro_rad_arcsec * u.arcsec, psf_fwhm * u.arcsec),
        "px_per_unit": px_per_unit,
        "kpc_per_arcsec": angle_to_kpc(1 * u.arcsec, redshift, cosmo).to_value(u.kpc),
    }


def _features(
    cfg: PopulationConfig, drawn: pd.DataFrame, shape: dict, sizes: dict, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """The bar's size and orientation, spiral arms, rings, mergers and neighbours."""
    n, disk, has_bar = len(drawn), shape["disk"], shape["has_bar"]
    bar_half_px = np.where(has_bar, 0.5 * drawn["length_scaled"].to_numpy() * R90_PX, np.nan)
    bar_pa = np.where(has_bar, rng.uniform(0.0, 180.0, n), np.nan)
    intrinsic = _deproject_bar(bar_half_px, bar_pa - shape["position_angle"], shape["inclination"])
    spiral = disk & (rng.uniform(size=n) < cfg.spiral_fraction)
    arms = np.where(spiral, rng.choice([1, 2, 3, 4, 5], size=n, p=[0.05, 0.6, 0.2, 0.1, 0.05]), 0)
    pitch = np.where(spiral, rng.choice([12.0, 22.0, 35.0], size=n), np.nan)
    ring = disk & ~shape["edge_on"] & (rng.uniform(size=n) < cfg.ring_fraction)
    merger = (shape["kind"] != "star") & (rng.uniform(size=n) < cfg.merger_fraction)
    scale, kpc_per_arcsec = sizes["pixel_scale"], sizes["kpc_per_arcsec"]
    return {
        "bar_half_length_px": bar_half_px,
        "bar_half_width_px": bar_half_px * drawn["bar_width_ratio"].to_numpy(),
        "bar_pa_deg": bar_pa,
        "bar_half_length_arcsec": bar_half_px * scale,
        "bar_half_length_proj_kpc": bar_half_px * scale * kpc_per_arcsec,
        "bar_half_length_kpc": intrinsic * scale * kpc_per_arcsec,
        "spiral_arms": arms,
        "arm_pitch_deg": pitch,
        "arm_amplitude": np.where(spiral, rng.uniform(0.3, 0.7, n), 0.0),
        "arm_phase_deg": rng.uniform(0.0, 360.0, n),
        "has_ring": ring,
        "has_merger": merger,
        "n_neighbours": rng.poisson(0.6, n),
    }


def _deproject_bar(
    half_length_proj: np.ndarray, angle_from_nodes_deg: np.ndarray, inclination_deg: np.ndarray
) -> np.ndarray:
    """Intrinsic half-length of a bar seen at a projected angle from the disk's line of nodes."""
    psi = np.radians(angle_from_nodes_deg)
    cos_i = np.cos(np.radians(inclination_deg))
    phi = np.arctan2(np.sin(psi), np.cos(psi) * cos_i)
    shrink = np.sqrt(np.cos(phi) ** 2 + (np.sin(phi) * cos_i) ** 2)
    return half_length_proj / shrink
