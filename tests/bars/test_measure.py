import numpy as np
import pandas as pd
import pytest

from gzxai.bars import geometry, measure
from gzxai.bars.settings import Grid
from gzxai.synthetic.oracle import oracle_maps
from gzxai.synthetic.population import draw_population
from gzxai.synthetic.survey import SurveyConfig

from ..conftest import small_config

GRID = Grid(t_corr=(0.7, 0.9), t_len=(10, 20, 30), rules=geometry.RULES, x_input=(False, True))


def line_map(angle_deg: float, half: int = 12, size: int = 48) -> np.ndarray:
    rows, cols = np.indices((size, size)) - size / 2
    angle = np.deg2rad(angle_deg)
    u = rows * np.cos(angle) + cols * np.sin(angle)
    v = -rows * np.sin(angle) + cols * np.cos(angle)
    return np.exp(-((u / half) ** 8) - (v / 1.5) ** 2)


def test_every_grid_point_of_every_map_is_one_row_equal_to_bar_length():
    maps = np.stack([line_map(20), line_map(70, half=6)])
    brightness = np.stack([np.ones((48, 48)), np.tile(np.linspace(0, 1, 48), (48, 1))])
    table = measure.measure_maps(
        maps, np.array([5, 6]), GRID, brightness=brightness, method="m", run=2
    )
    assert len(table) == measure.number_of_rows(2, GRID, with_brightness=True) == 2 * 2 * 2 * 6
    assert set(table["method"]) == {"m"} and set(table["run"]) == {2}
    for row in table.sample(12, random_state=0).itertuples():
        k = 0 if row.dr7objid == 5 else 1
        image = maps[k] * brightness[k] if row.x_input else maps[k]
        assert row.length_px == geometry.bar_length(image, row.t_corr, row.t_len, row.rule)
    # X_input changes what is measured: a brightness ramp shortens the second line.
    second = table[(table["dr7objid"] == 6) & (table["t_len"] == 10) & (table["t_corr"] == 0.9)]
    plain = second[~second["x_input"]]["length_px"].to_numpy()
    ramped = second[second["x_input"]]["length_px"].to_numpy()
    assert not np.allclose(plain, ramped)


def test_without_the_images_only_x_input_false_is_measured():
    table = measure.measure_maps(line_map(0)[None], np.array([1]), GRID)
    assert not table["x_input"].any()
    assert len(table) == measure.number_of_rows(1, GRID, with_brightness=False) == 12


def test_the_mean_map_is_renormalised_per_galaxy():
    a = np.random.default_rng(0).uniform(size=(3, 8, 8))
    b = np.random.default_rng(1).uniform(size=(3, 8, 8))
    mean = measure.mean_map([a, b])
    np.testing.assert_allclose(mean.min(axis=(1, 2)), 0)
    np.testing.assert_allclose(mean.max(axis=(1, 2)), 1)
    raw = (a + b) / 2
    np.testing.assert_allclose(mean[0], (raw[0] - raw[0].min()) / np.ptp(raw[0]), atol=1e-12)


def test_oracle_maps_show_the_true_bar_and_nothing_for_unbarred_galaxies(default_config):
    population = draw_population(
        SurveyConfig.from_config(small_config(default_config, 200)).population, 3
    )
    table = population.assign(index=np.arange(len(population)))
    picked = pd.concat([table[table["has_bar"]].head(6), table[~table["has_bar"]].head(2)])
    maps = oracle_maps(picked, seed=3, crop_px=160, size_px=64)
    assert maps.shape == (8, 64, 64)
    assert (maps[6:] == 0).all()
    measured = [geometry.bar_length(m, 0.85, 10, "rotation_invariant") * 160 / 64 for m in maps[:6]]
    truth = 2 * picked["bar_half_length_px"].to_numpy()[:6]
    # Within a few 424-grid pixels (the map pixel is 2.5 of them) of the true full length.
    np.testing.assert_allclose(measured, truth, atol=3 * 2.5 + 0.15 * truth.max())


def test_members_with_maps_of_different_galaxies_are_refused(tmp_path):
    from gzxai.core.errors import InputError
    from gzxai.core.io import save_npz

    images = np.zeros((2, 8, 8, 3), np.uint8)
    save_npz(
        tmp_path / "shard.npz",
        ids=np.array([1, 2]),
        images=images,
        crop_px=np.int64(8),
        size_px=np.int64(8),
    )
    for name, ids in (("a", [1, 2]), ("b", [2, 1])):
        save_npz(tmp_path / f"{name}.npz", ids=np.array(ids), noise_levels=np.array([0.1]),
                 maps=np.zeros((1, 2, 8, 8), np.float16))  # fmt: skip
    pairs = [("a", str(tmp_path / "a.npz")), ("b", str(tmp_path / "b.npz"))]
    with pytest.raises(InputError, match=r"b\.npz and .*a\.npz: maps of different galaxies"):
        measure.measure_shard(pairs, str(tmp_path / "shard.npz"), GRID, run=1, progress=False)
