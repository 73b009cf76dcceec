import numpy as np
import pytest
from scipy import stats

from gzxai.synthetic import priors

from ..conftest import shared_file


def test_shipped_priors_still_match_the_real_catalogues():
    derived = priors.derive(
        shared_file("hoyle_barlengths.csv"), shared_file("GalaxyZoo2_barlengths_alldata.txt")
    )
    shipped = priors.load()
    assert derived["n_galaxies"] == shipped["n_galaxies"] == 3150
    for name in priors.COPULA_VARIABLES:
        np.testing.assert_allclose(
            derived["quantiles"][name], shipped["quantiles"][name], atol=1e-5
        )
    np.testing.assert_allclose(
        derived["normal_score_correlation"], shipped["normal_score_correlation"], atol=1e-3
    )


def test_samples_follow_the_quantile_tables_and_correlations():
    shipped = priors.load()
    drawn = priors.sample(shipped, 20_000, np.random.default_rng(1))
    levels = np.asarray(shipped["quantile_levels"])
    for name in priors.COPULA_VARIABLES:
        table = np.asarray(shipped["quantiles"][name])
        for q in (0.1, 0.5, 0.9):
            assert np.quantile(drawn[name], q) == pytest.approx(
                np.interp(q, levels, table), rel=0.03
            )
    rho = stats.spearmanr(drawn["redshift"], drawn["log10_petro_r90_kpc"]).statistic
    target = np.asarray(shipped["normal_score_correlation"])[0, 1]
    assert rho == pytest.approx(target, abs=0.05)


def test_clipping_keeps_draws_inside_the_inner_quantiles():
    shipped = priors.load()
    drawn = priors.sample(shipped, 5000, np.random.default_rng(2), clip=0.05)
    levels = np.asarray(shipped["quantile_levels"])
    upper = np.interp(0.95, levels, shipped["quantiles"]["length_scaled"])
    assert drawn["length_scaled"].max() <= upper + 1e-9


def test_shen2003_median_sizes_at_known_magnitudes():
    # Late types at M0 = −20.52: log R = 0.084·20.52 + 0.32·log 2 − 1.31 = 0.5100.
    assert priors.shen2003_median_r50(-20.52) == pytest.approx(10**0.5100, rel=1e-3)
    # Early types at M_r = −21: log R = 0.24·21 − 4.63 = 0.41.
    assert priors.shen2003_median_r50(-21.0, early_type=True) == pytest.approx(10**0.41)
    # Brighter late types are larger: 5.7 kpc at M_r = −22 against 2.1 kpc at −19.
    bright, faint = priors.shen2003_median_r50(np.array([-22.0, -19.0]))
    assert bright > 2 * faint
