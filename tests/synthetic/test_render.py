import numpy as np
import pytest
from scipy.spatial import ConvexHull
from scipy.spatial.distance import pdist

from gzxai.synthetic.population import draw_population
from gzxai.synthetic.render import COMPONENTS, RenderConfig, render, to_uint8
from gzxai.synthetic.survey import SurveyConfig

from ..conftest import small_config


@pytest.fixture(scope="module")
def population(default_config):
    cfg = SurveyConfig.from_config(small_config(default_config, 400))
    pop = draw_population(cfg.population, 11)
    return pop.assign(index=np.arange(len(pop)))


def extent(mask: np.ndarray) -> float:
    """Largest distance between two pixel centres of a mask (via the convex hull)."""
    points = np.argwhere(mask).astype(float)
    if len(points) > 3:
        points = points[ConvexHull(points).vertices]
    return float(pdist(points).max())


def test_bar_length_measured_on_noiseless_renders_matches_the_truth(population):
    barred = population[population["has_bar"]].head(24)
    # Include bars within 10 degrees of horizontal and vertical.
    pa = barred["bar_pa_deg"].to_numpy()
    assert ((pa % 90 < 10) | (pa % 90 > 80)).any()
    images = render(barred, seed=11, components=["bar"], psf=False, noise=None)[..., 0]
    true_length = 2 * barred["bar_half_length_px"].to_numpy()
    # The profile exp(-(u/L)^4 - (v/W)^2) falls to e^-1 of its peak at u = ±L on the bar's
    # axis; pixel centres inside that contour span 2L less at most one pixel diagonal per end.
    measured = np.array([extent(image > image.max() * np.exp(-1.0)) for image in images])
    assert np.all(measured <= true_length + 0.5)
    assert np.all(measured >= true_length - 2 * np.sqrt(2))
    assert np.median(measured / true_length) == pytest.approx(1.0, abs=0.1)
    assert np.corrcoef(measured, true_length)[0, 1] > 0.98


def test_components_add_up_to_the_whole_galaxy(population):
    rows = population.head(6)
    whole = render(rows, seed=3, psf=False)
    parts = sum(render(rows, seed=3, components=[name], psf=False) for name in COMPONENTS)
    np.testing.assert_allclose(whole, parts, atol=1e-6)


def test_a_galaxy_renders_the_same_alone_or_in_a_batch(population):
    noise = RenderConfig((0.002, 0.004), 0.01)
    batch = render(population.iloc[:5], seed=4, noise=noise)
    alone = render(population.iloc[[3]], seed=4, noise=noise)
    np.testing.assert_allclose(batch[3], alone[0], atol=1e-6)


def test_psf_conserves_flux_and_blurs(population):
    row = population.iloc[[0]]
    sharp = render(row, seed=1, components=["bulge"], psf=False)
    blurred = render(row, seed=1, components=["bulge"], psf=True)
    assert blurred.sum() == pytest.approx(sharp.sum(), rel=1e-4)
    assert blurred.max() < sharp.max()


def test_stretch_maps_peak_to_white_and_sky_to_black():
    image = np.zeros((1, 4, 4, 3), np.float32)
    image[0, 0, 0] = 1.0
    out = to_uint8(image, softening=0.01)
    assert out[0, 0, 0].tolist() == [255, 255, 255]
    assert out[0, 3, 3].tolist() == [0, 0, 0]
