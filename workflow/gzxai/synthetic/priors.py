"""Population priors of the synthetic survey, derived once from the real bar catalogues.

The workflow must run without ``../shared/`` (users do not have it), so the distributions
the generator needs are derived here from the real Hoyle et al. (2011) catalogue and its
companion table ``GalaxyZoo2_barlengths_alldata.txt`` (Erwin 2019), and shipped as numbers in
``resources/synthetic_priors.json``: a quantile table per variable and the correlation of
their normal scores (a Gaussian copula), so that joint structure (bigger galaxies have longer
bars in kpc, nearer galaxies are fainter) survives. ``python -m gzxai priors`` re-derives it;
a test checks that the shipped file still matches the real files where they are present.

Derived variables (one value per catalogue galaxy):

* ``redshift``: z from the Erwin table;
* ``log10_petro_r90_kpc``: petroR90_r in kpc. Under the authors' reading of ``length_scaled``
  (full bar length / petroR90_r) it is ``length_avg / length_scaled``;
* ``length_scaled``: full bar length over petroR90_r, as measured by volunteers on the image;
* ``bar_width_ratio``: ``width_avg / length_avg``;
* ``abs_mag_r``: M_r ≈ M_i + 0.3 (M_g − M_i), interpolating the Erwin table's g and i
  magnitudes (r lies about 30% of the way from i to g for these colours; an approximation);

and, not in the copula, the distribution of ``bar_meas`` (measurements per galaxy) and the
median per-galaxy relative spread ``length_stdev / length_avg``.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from gzxai import RESOURCES
from gzxai.core.contracts import HOYLE
from gzxai.core.validation import read_csv

PRIORS_FILE = RESOURCES / "synthetic_priors.json"
COPULA_VARIABLES = (
    "redshift",
    "log10_petro_r90_kpc",
    "length_scaled",
    "bar_width_ratio",
    "abs_mag_r",
)
N_QUANTILES = 201
#: Shen et al. (2003, MNRAS 343, 978) Table 1: median r-band Petrosian half-light radius of
#: SDSS galaxies against M_r (h = 0.7). Late types: log R = −0.4 α M + (β − α) log(1 + 10^(−0.4
#: (M − M0))) + γ; early types: log R = −0.4 a M + b. Not used to draw sizes (those come from
#: the bar catalogues): an outside yardstick the survey summary compares its sizes with.
SHEN2003_LATE_TYPE = {"alpha": 0.21, "beta": 0.53, "gamma": -1.31, "m0": -20.52}
SHEN2003_EARLY_TYPE = {"a": 0.6, "b": -4.63}
ERWIN_COLUMNS = [
    "objid",
    "sma_kpc",
    "err_sma_kpc",
    "log_mstar",
    "abs_mag_g",
    "abs_mag_i",
    "redshift",
]


def read_erwin(path: Path) -> pd.DataFrame:
    """``GalaxyZoo2_barlengths_alldata.txt``: whitespace-separated, one '#' header line."""
    return pd.read_csv(path, sep=r"\s+", comment="#", header=None, names=ERWIN_COLUMNS)


def derive(hoyle_path: Path, erwin_path: Path) -> dict:
    """Quantile tables and copula correlation from the two real catalogues."""
    hoyle, quarantine = read_csv(hoyle_path, HOYLE)
    if not quarantine.empty:
        raise ValueError(f"{hoyle_path}: {len(quarantine)} unreadable rows; priors need them all")
    erwin = read_erwin(erwin_path)
    table = hoyle.merge(erwin, on="objid", how="inner", validate="one_to_one")
    variables = pd.DataFrame(
        {
            "redshift": table["redshift"],
            "log10_petro_r90_kpc": np.log10(table["length_avg"] / table["length_scaled"]),
            "length_scaled": table["length_scaled"],
            "bar_width_ratio": table["width_avg"] / table["length_avg"],
            "abs_mag_r": table["abs_mag_i"] + 0.3 * (table["abs_mag_g"] - table["abs_mag_i"]),
        }
    )
    levels = np.linspace(0.0, 1.0, N_QUANTILES)
    quantiles = {
        name: np.quantile(variables[name], levels).round(6).tolist() for name in COPULA_VARIABLES
    }
    ranks = variables[list(COPULA_VARIABLES)].rank(method="average").to_numpy()
    scores = stats.norm.ppf(ranks / (len(variables) + 1))
    correlation = np.corrcoef(scores, rowvar=False).round(4)
    meas = table["bar_meas"].value_counts(normalize=True).sort_index()
    return {
        "source": "Hoyle et al. 2011 (hoyle_barlengths.csv) joined with Erwin 2019 "
        "(GalaxyZoo2_barlengths_alldata.txt) on objid; derived by `python -m gzxai priors`",
        "n_galaxies": len(table),
        "variables": list(COPULA_VARIABLES),
        "quantile_levels": levels.round(6).tolist(),
        "quantiles": quantiles,
        "normal_score_correlation": correlation.tolist(),
        "bar_meas": {
            "values": meas.index.astype(int).tolist(),
            "probabilities": meas.round(6).tolist(),
        },
        "median_relative_length_spread": round(
            float((table["length_stdev"] / table["length_avg"]).median()), 4
        ),
    }


def shen2003_median_r50(abs_mag_r: np.ndarray, early_type: bool = False) -> np.ndarray:
    """Median Petrosian half-light radius in kpc (h = 0.7) at r-band absolute magnitude M_r."""
    m = np.asarray(abs_mag_r, dtype=float)
    if early_type:
        e = SHEN2003_EARLY_TYPE
        return 10 ** (-0.4 * e["a"] * m + e["b"])
    t = SHEN2003_LATE_TYPE
    bend = np.log10(1 + 10 ** (-0.4 * (m - t["m0"])))
    return 10 ** (-0.4 * t["alpha"] * m + (t["beta"] - t["alpha"]) * bend + t["gamma"])


@functools.cache
def load(path: Path = PRIORS_FILE) -> dict:
    return json.loads(Path(path).read_text())


def sample(priors: dict, n: int, rng: np.random.Generator, clip: float = 0.0) -> pd.DataFrame:
    """Draw ``n`` joint samples of the copula variables.

    ``clip`` keeps every variable within its [clip, 1 − clip] quantiles: the real tables have
    a few extreme rows (z = 0.0007, bars 2.7 × petroR90) that a small survey should not hit.
    """
    correlation = np.asarray(priors["normal_score_correlation"])
    scores = rng.multivariate_normal(
        np.zeros(len(correlation)), correlation, size=n, method="cholesky"
    )
    uniform = np.clip(stats.norm.cdf(scores), clip, 1.0 - clip)
    levels = np.asarray(priors["quantile_levels"])
    return pd.DataFrame(
        {
            name: np.interp(uniform[:, j], levels, np.asarray(priors["quantiles"][name]))
            for j, name in enumerate(priors["variables"])
        }
    )
