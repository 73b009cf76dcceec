"""Render synthetic GZ2-style images from the population table.

Images are 424 × 424 × 3 like the real cutouts. Each galaxy is built from physical
components (Sérsic bulge, inclined exponential disk with optional logarithmic spiral arms, a
bar ``exp(−(u/L)⁴ − (v/W)²)`` of known half-length L and position angle, an optional ring, a
merging companion, field neighbours, or a star), each with its own colour, convolved with a
Gaussian PSF of the galaxy's own FWHM in pixels, with sky noise and an asinh stretch.

Conventions: pixel (row, col) centres are integers, the image centre is (211.5, 211.5);
position angles are degrees from the +column axis towards the +row axis.

Randomness that belongs to one galaxy (noise, neighbours, colour jitter) comes from a
generator seeded by (survey seed, galaxy index), so a galaxy renders identically alone or
in any batch, and any single component can be re-rendered noiselessly for oracle checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import fft

from gzxai.core.units import FWHM_PER_SIGMA, GZ2_IMAGE_PX
from gzxai.synthetic.population import sersic_b

COMPONENTS = ("bulge", "disk", "arms", "bar", "ring", "companion", "neighbours", "star")
_RENDER_STREAM = 7  # separates render randomness from the population's draws

#: Relative (r, g, b) brightness of each component: old bulge/bar red, young arms blue.
COLOURS = {
    "bulge": (1.0, 0.82, 0.62),
    "bar": (1.0, 0.86, 0.68),
    "disk": (0.86, 0.9, 1.0),
    "arms": (0.7, 0.86, 1.15),
    "ring": (0.8, 0.9, 1.1),
    "companion": (1.0, 0.85, 0.7),
    "neighbours": (0.95, 0.9, 0.9),
    "star": (1.0, 1.0, 1.0),
}


@dataclass(frozen=True)
class RenderConfig:
    """The ``synthetic.render`` block of the config."""

    sky_noise_range: tuple[float, float]
    asinh_softening: float

    @classmethod
    def from_config(cls, block: dict) -> RenderConfig:
        return cls(tuple(block["sky_noise_range"]), float(block["asinh_softening"]))


def _grid(size: int = GZ2_IMAGE_PX) -> tuple[np.ndarray, np.ndarray]:
    centre = (size - 1) / 2.0
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float32)
    return cols - centre, rows - centre


def _col(table: pd.DataFrame, name: str) -> np.ndarray:
    return table[name].to_numpy(np.float32)[:, None, None]


def _rotate(x: np.ndarray, y: np.ndarray, angle_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a = np.radians(angle_deg).astype(np.float32)
    return x * np.cos(a) + y * np.sin(a), -x * np.sin(a) + y * np.cos(a)


def _normalised(image: np.ndarray, flux: np.ndarray) -> np.ndarray:
    total = image.sum(axis=(1, 2), keepdims=True)
    return np.divide(image * flux, total, out=np.zeros_like(image), where=total > 0)


def _component_images(
    table: pd.DataFrame, wanted: set[str], x: np.ndarray, y: np.ndarray
) -> dict[str, np.ndarray]:
    """Images (before PSF) of the smooth components, each scaled to its flux fraction.

    Each component is evaluated only for the galaxies that have it; everything is float32.
    """
    shape = (len(table), *x.shape)
    out: dict[str, np.ndarray] = {}
    kind = table["true_class"].to_numpy()
    needs = {
        "bulge": kind != "star",
        "disk": kind == "disk",
        "arms": table["spiral_arms"].to_numpy() > 0,
        "bar": table["has_bar"].to_numpy(bool),
        "ring": table["has_ring"].to_numpy(bool),
    }
    # Dict order, never set order: the sum of the components must not depend on the
    # process's string-hash seed (PYTHONHASHSEED), or images differ between processes.
    for name in (n for n in needs if n in wanted):
        out[name] = np.zeros(shape, np.float32)
    for names, profile in _COMPONENT_PROFILES.items():
        rows = np.flatnonzero(needs[names[0]])
        if not (wanted & set(names)) or not rows.size:
            continue
        images = profile(table.iloc[rows], x, y)
        for name, image in zip(names, images, strict=True):
            if name in wanted:
                out[name][rows] = image
    return out


def _disk_plane(table: pd.DataFrame, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
    """Coordinates in the (deprojected) disk plane: along the major axis, across it, radius."""
    q = np.maximum(_col(table, "axis_ratio"), np.float32(0.12))
    u, v = _rotate(x, y, _col(table, "disk_pa_deg"))
    v_plane = v / q
    return u, v_plane, np.sqrt(u**2 + v_plane**2)


def _bulge(table: pd.DataFrame, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    n = _col(table, "sersic_n")
    re = _col(table, "bulge_re_px")
    q = _col(table, "axis_ratio")
    is_disk = (table["true_class"] == "disk").to_numpy()[:, None, None]
    q_b = np.where(is_disk, np.maximum(q, np.float32(0.5)), q)
    u, v = _rotate(x, y, _col(table, "disk_pa_deg"))
    r = np.sqrt(u**2 + (v / q_b) ** 2)
    profile = np.exp(-sersic_b(n).astype(np.float32) * (r / re) ** (1.0 / n))
    return _normalised(profile, _col(table, "bulge_fraction"))


def _disk_and_arms(
    table: pd.DataFrame, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Exponential disk and its spiral-arm surplus, sharing the disk's flux fraction."""
    u, v, r = _disk_plane(table, x, y)
    h = _col(table, "disk_h_px")
    disk = np.exp(-r / h)
    amplitude = _col(table, "arm_amplitude")
    arms = np.zeros_like(disk)
    spiral = np.flatnonzero(amplitude[:, 0, 0] > 0)
    if spiral.size:
        sub = table.iloc[spiral]
        m = _col(sub, "spiral_arms")
        tan_pitch = np.tan(np.radians(_col(sub, "arm_pitch_deg")))
        phase = np.radians(_col(sub, "arm_phase_deg"))
        inner = np.nan_to_num(_col(sub, "bar_half_length_px"), nan=0.0) + h[spiral]
        r_s, h_s = r[spiral], h[spiral]
        winding = (
            m * (np.arctan2(v[spiral], u[spiral]) - np.log(r_s / h_s + 1e-3) / tan_pitch) - phase
        )
        pattern = (0.5 * (1 + np.cos(winding))) ** 2
        taper = 1.0 - np.exp(-((r_s / inner) ** 2))
        arms[spiral] = disk[spiral] * amplitude[spiral] * pattern * taper
    norm = _col(table, "disk_fraction") / (disk + arms).sum(axis=(1, 2), keepdims=True)
    return disk * norm, arms * norm


def _bar(table: pd.DataFrame, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    u, v = _rotate(x, y, _col(table, "bar_pa_deg"))
    profile = np.exp(
        -((u / _col(table, "bar_half_length_px")) ** 4)
        - (v / _col(table, "bar_half_width_px")) ** 2
    )
    return _normalised(profile, _col(table, "bar_fraction"))


#: A ring carries this fraction of the galaxy's flux.
RING_FLUX = 0.08


def _ring(table: pd.DataFrame, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    _, _, r = _disk_plane(table, x, y)
    radius = np.nan_to_num(_col(table, "bar_half_length_px"), nan=0.0) * 1.25 + 0.8 * _col(
        table, "disk_h_px"
    )
    profile = np.exp(-0.5 * ((r - radius) / (0.12 * radius)) ** 2)
    return _normalised(profile, np.full_like(radius, RING_FLUX))


#: Which function draws which component(s); disk and arms share one evaluation because
#: they share the disk's flux. Rows are chosen by the first name's need.
_COMPONENT_PROFILES = {
    ("bulge",): lambda t, x, y: (_bulge(t, x, y),),
    ("disk", "arms"): _disk_and_arms,
    ("bar",): lambda t, x, y: (_bar(t, x, y),),
    ("ring",): lambda t, x, y: (_ring(t, x, y),),
}


def _random_blob(
    rng: np.random.Generator,
    name: str,
    distance: tuple[float, float],
    width: tuple[float, float],
    flux: tuple[float, float],
) -> tuple[str, float, float, float, float]:
    """A round Gaussian source at a random angle and distance (px) from the centre."""
    angle, dist = rng.uniform(0, 2 * np.pi), rng.uniform(*distance)
    return (
        name,
        dist * np.cos(angle),
        dist * np.sin(angle),
        rng.uniform(*width),
        rng.uniform(*flux),
    )


def _point_sources(
    table: pd.DataFrame, seed: int, x: np.ndarray, y: np.ndarray, wanted: set[str]
) -> dict[str, np.ndarray]:
    """Star, merging companion and field neighbours: per-galaxy random, seeded per galaxy."""
    shape = (len(table), *x.shape)
    out = {
        name: np.zeros(shape, np.float32)
        for name in ("companion", "neighbours", "star")
        if name in wanted
    }
    for k, row in enumerate(table.itertuples(index=False)):
        rng = np.random.default_rng([seed, _RENDER_STREAM, int(row.index)])
        blobs: list[tuple[str, float, float, float, float]] = []
        if row.true_class == "star":
            blobs.append(("star", 0.0, 0.0, 0.7, 1.0))
        if row.has_merger:
            blobs.append(_random_blob(rng, "companion", (30, 60), (6, 12), (0.2, 0.5)))
        for _ in range(int(row.n_neighbours)):
            blobs.append(_random_blob(rng, "neighbours", (80, 200), (0.7, 6), (0.02, 0.3)))
        for name, cx, cy, width, flux in blobs:
            if name not in out:
                continue
            blob = np.exp(-0.5 * ((x - cx) ** 2 + (y - cy) ** 2) / width**2)
            out[name][k] += flux * blob / blob.sum()
    return out


def _convolve_psf(cube: np.ndarray, fwhm_px: np.ndarray) -> np.ndarray:
    """Gaussian PSF convolution of (batch, channel, row, col) images, via the analytic OTF."""
    size = cube.shape[-1]
    fy = fft.fftfreq(size)[:, None]
    fx = fft.rfftfreq(size)[None, :]
    sigma = (fwhm_px / FWHM_PER_SIGMA)[:, None, None, None]
    transfer = np.exp(-2.0 * np.pi**2 * sigma**2 * (fx**2 + fy**2)).astype(np.float32)
    return fft.irfft2(fft.rfft2(cube) * transfer, s=cube.shape[-2:]).astype(np.float32)


def render(
    table: pd.DataFrame,
    seed: int,
    components: Iterable[str] = COMPONENTS,
    *,
    psf: bool = True,
    noise: RenderConfig | None = None,
) -> np.ndarray:
    """Linear-flux images, shape (batch, 424, 424, 3), of the requested components.

    ``noise=None`` renders noiselessly (the oracle path); with a :class:`RenderConfig` sky
    noise is added at a per-galaxy fraction of the peak. ``table`` rows need the population
    columns plus ``index`` (the galaxy's position in the survey, which seeds its randomness).
    """
    wanted = set(components)
    unknown = wanted - set(COMPONENTS)
    if unknown:
        raise ValueError(f"unknown component(s) {sorted(unknown)}; choose from {COMPONENTS}")
    x, y = _grid()
    parts = _component_images(table, wanted, x, y)
    parts.update(_point_sources(table, seed, x, y, wanted))
    cube = np.zeros((len(table), 3, *x.shape), np.float32)
    for name, image in parts.items():
        colour = np.asarray(COLOURS[name], np.float32)[None, :, None, None]
        cube += image[:, None] * colour
    if psf:
        cube = _convolve_psf(cube, table["psf_fwhm_px"].to_numpy(np.float32))
    if noise is not None:
        cube = _add_noise(cube, table, seed, noise)
    return np.moveaxis(cube, 1, -1)


def _add_noise(cube: np.ndarray, table: pd.DataFrame, seed: int, cfg: RenderConfig) -> np.ndarray:
    for k, index in enumerate(table["index"].to_numpy()):
        rng = np.random.default_rng([seed, _RENDER_STREAM + 1, int(index)])
        level = rng.uniform(*cfg.sky_noise_range) * cube[k].max()
        cube[k] += level * rng.standard_normal(cube[k].shape, dtype=np.float32)
    return cube


def to_uint8(images: np.ndarray, softening: float) -> np.ndarray:
    """asinh stretch relative to each image's peak, then 8-bit, as in SDSS colour composites."""
    peak = images.max(axis=(1, 2, 3), keepdims=True)
    peak = np.where(peak > 0, peak, 1.0)
    scaled = np.arcsinh(np.clip(images, 0, None) / (softening * peak)) / np.arcsinh(1.0 / softening)
    return np.clip(np.rint(scaled * 255.0), 0, 255).astype(np.uint8)


def render_survey_images(
    table: pd.DataFrame, seed: int, cfg: RenderConfig, batch_size: int = 8
) -> Iterable[tuple[Sequence[int], np.ndarray]]:
    """Yield (survey indices, uint8 images) batch by batch: the full observed images."""
    for start in range(0, len(table), batch_size):
        batch = table.iloc[start : start + batch_size]
        images = render(batch, seed, noise=cfg)
        yield batch["index"].to_numpy(), to_uint8(images, cfg.asinh_softening)
