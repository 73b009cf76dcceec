import astropy.units as u
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from gzxai.bars import evaluate
from gzxai.bars import units as bars_units
from gzxai.bars.measure import IMAGE, MEAN_LENGTH, MEAN_MAP
from gzxai.core import stats as core_stats
from gzxai.core import units
from gzxai.core.splits import validation_or_test

PHYSICAL = bars_units.Conventions("physical", "h_inverse_kpc", 70.0, 0.3, size_px=64, crop_px=160)
PAPER = bars_units.Conventions("paper", "h_inverse_kpc", 70.0, 0.3, size_px=64, crop_px=160)


def galaxies(n: int = 3) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "dr7objid": np.arange(1, n + 1),
            "petro_r90_arcsec": np.linspace(20, 40, n),
            "redshift": np.linspace(0.02, 0.06, n),
        }
    )


def test_physical_lengths_go_through_arcsec_and_kpc_at_the_galaxy_redshift():
    g = galaxies()
    measured = bars_units.to_catalogue_units(np.array([10.0, 10.0, 10.0]), g, PHYSICAL)
    arcsec = 10 * 160 / 64 * 0.02 * g["petro_r90_arcsec"].to_numpy() * u.arcsec
    kpc = units.angle_to_kpc(arcsec, g["redshift"].to_numpy(), units.cosmology(70, 0.3))
    np.testing.assert_allclose(measured, kpc.to_value(u.kpc) * 0.7)


def test_the_paper_convention_is_the_printed_formula():
    g = galaxies()
    measured = bars_units.to_catalogue_units(np.full(3, 10.0), g, PAPER)
    np.testing.assert_allclose(measured, 10 * 160 / 64 * 0.02 * g["petro_r90_arcsec"] * 0.396)


def test_the_validation_third_is_seeded_and_about_a_third():
    ids = np.arange(3000)
    split = validation_or_test(ids, 123, 1 / 3)
    assert split.equals(validation_or_test(ids, 123, 1 / 3))
    assert not split.equals(validation_or_test(ids, 124, 1 / 3))
    assert (split == evaluate.VALIDATION).mean() == pytest.approx(1 / 3, abs=0.03)


def long_table(lengths: dict[tuple, np.ndarray], ids: np.ndarray) -> pd.DataFrame:
    """Measurements in the contract's shape from {(method, run, t_len): lengths}."""
    frames = []
    for (method, run, t_len), values in lengths.items():
        frames.append(pd.DataFrame({
            "dr7objid": ids, "method": method, "run": run, "noise": 0.1, "x_input": False,
            "rule": "paper", "t_corr": 0.8, "t_len": t_len, "length_px": values,
        }))  # fmt: skip
    return pd.concat(frames, ignore_index=True)


def test_the_mean_of_lengths_needs_every_member():
    ids = np.array([1, 2, 3])
    table = long_table(
        {("a", 1, 10): np.array([2.0, 4, 6]), ("b", 1, 10): np.array([4.0, 8, 10])}, ids
    )
    table = table.drop(index=5)  # member b did not measure galaxy 3
    result = evaluate.with_lengths(table, galaxies(), PHYSICAL)
    mean = result[result["method"] == MEAN_LENGTH].set_index("dr7objid")
    assert list(mean.index) == [1, 2]
    expected = result[result["method"].isin(["a", "b"]) & result["dr7objid"].isin([1, 2])]
    np.testing.assert_allclose(mean["length"], expected.groupby("dr7objid")["length"].mean())


def test_selection_picks_the_settings_with_the_highest_validation_rho():
    rng = np.random.default_rng(0)
    ids = np.arange(1, 201)
    truth = rng.uniform(2, 10, 200)
    table = long_table(
        {("a", 1, 10): truth + rng.normal(0, 3, 200), ("a", 1, 20): truth + rng.normal(0, 0.5, 200),
         (IMAGE, 1, 10): np.full(200, 5.0)},  # constant: ρ undefined, still reported
        ids,
    )  # fmt: skip
    table["length"] = table["length_px"]
    selection = evaluate.select(table, pd.Series(truth, index=ids))
    chosen = selection.set_index("method")
    assert chosen.loc["a", "t_len"] == 20
    assert chosen.loc["a", "rho_validation"] == pytest.approx(stats.pearsonr(
        table.query("method == 'a' and t_len == 20")["length"], truth).statistic)  # fmt: skip
    assert np.isnan(chosen.loc[IMAGE, "rho_validation"])
    assert evaluate.headline(selection)["method"] == "a"


def test_decile_errors_average_the_run_spread_within_deciles_of_length():
    first = np.arange(100, dtype=float)
    second = first + np.repeat(np.arange(10), 10)  # spread grows with length, decile by decile
    errors = evaluate.decile_errors(first, second)
    np.testing.assert_allclose(errors, np.repeat(np.arange(10), 10), atol=1.0)
    assert errors[-1] > errors[0]


def test_weighted_fit_through_the_origin_recovers_the_slope():
    rng = np.random.default_rng(1)
    x = rng.uniform(1, 10, 500)
    sigma = 0.17 * 1.7 * x
    y = 1.7 * x + rng.normal(0, sigma)
    slope, error = core_stats.wls_through_origin(x, y, np.zeros(500), sigma)
    assert slope == pytest.approx(1.7, abs=3 * error)
    assert 0 < error < 0.05


def test_partial_correlation_removes_a_shared_size_confound():
    rng = np.random.default_rng(2)
    size = rng.normal(size=2000)
    x, y = size + rng.normal(0, 0.5, 2000), size + rng.normal(0, 0.5, 2000)
    assert stats.pearsonr(x, y).statistic > 0.7
    assert abs(core_stats.partial_rho(x, y, size)) < 0.06


def test_the_bootstrap_interval_brackets_rho():
    rng = np.random.default_rng(3)
    x = rng.normal(size=300)
    y = 0.5 * x + rng.normal(size=300)
    low, high = core_stats.bootstrap_rho(x, y, 500, seed=0)
    rho = stats.pearsonr(x, y).statistic
    assert low < rho < high and high - low < 0.25


def test_evaluation_averages_two_runs_and_scores_against_catalogue_and_truth():
    rng = np.random.default_rng(4)
    n = 120
    g = galaxies(n).assign(bar_length_catalogue=rng.uniform(2, 9, n))
    ids = g["dr7objid"].to_numpy()
    px = g["bar_length_catalogue"].to_numpy() * 2  # lengths proportional to the catalogue
    table = long_table({("a", 1, 10): px, ("a", 2, 10): px + 0.2, (MEAN_MAP, 1, 10): px,
                        (MEAN_MAP, 2, 10): px}, ids)  # fmt: skip
    lengths = evaluate.with_lengths(table, g, PHYSICAL)
    split = validation_or_test(ids, 0, 0.3)
    validation = lengths[lengths["dr7objid"].isin(split.index[split == "validation"])]
    selection = evaluate.select(validation, g.set_index("dr7objid")["bar_length_catalogue"])
    truth = g.assign(bar_half_length_arcsec=1.0)
    results, per_galaxy, summary = evaluate.evaluate(
        lengths, selection, g, PHYSICAL, split=split, truth=truth, direct=None,
        n_boot=50, seed=0, catalogue_error=0.17,
    )  # fmt: skip
    a = per_galaxy[per_galaxy["method"] == "a"]
    assert len(a) == (split == "test").sum() == summary["n_test"]
    np.testing.assert_allclose(a["length"], (a["length_run1"] + a["length_run2"]) / 2)
    assert (a["error"] > 0).all()
    scores = results.set_index("method")
    assert scores.loc["a", "catalogue_n"] == len(a)
    assert 0.3 < scores.loc["a", "catalogue_rho"] < 1.0  # the kpc-per-arcsec factor varies
    assert "truth_rho" in scores and "wls_slope" in scores
