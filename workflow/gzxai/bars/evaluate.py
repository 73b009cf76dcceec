"""Selection and evaluation of the bar-length methods (paper §4.5, §5.1, Table 2, Fig. 4).

Lengths measured in map pixels are converted per galaxy into the catalogue's unit
(:func:`to_catalogue_units`). The bar catalogue is split once, seeded, into a validation
third (hyperparameter selection, Table 2) and a test part (final evaluation). On the test
part each method's selected settings are measured in two SmoothGrad runs with different
noise seeds; the length is their mean and the spread |l₁ − l₂|, averaged within deciles of
length, is its error (§5.1).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from gzxai.bars.measure import IMAGE, MEAN_LENGTH, MEAN_MAP, ORACLE, REFERENCES
from gzxai.bars.units import (
    Conventions,
    galaxy_size_kpc,
    to_catalogue_units,
    true_lengths,
)
from gzxai.core import tables
from gzxai.core.splits import TEST, VALIDATION
from gzxai.core.stats import bootstrap_rho, partial_rho, wls_through_origin

SETTINGS = ["x_input", "noise", "t_corr", "t_len"]


def with_lengths(measurements: pd.DataFrame, bars: pd.DataFrame, conv: Conventions) -> pd.DataFrame:
    """Adds ``length`` (catalogue units) and the mean-of-members method (paper method v)."""
    galaxies = bars.set_index("dr7objid").loc[measurements["dr7objid"]]
    table = measurements.assign(
        length=to_catalogue_units(measurements["length_px"], galaxies, conv)
    )
    members = table[~table["method"].isin([MEAN_MAP, *REFERENCES])]
    keys = ["dr7objid", "run", "rule", *SETTINGS]
    if members.empty:
        return table
    n_members = members["method"].nunique()
    mean = members.groupby(keys, as_index=False).agg(
        length=("length", "mean"), length_px=("length_px", "mean"), count=("length", "size")
    )
    # A galaxy enters the mean only where every member measured it.
    mean = mean[mean.pop("count") == n_members].assign(method=MEAN_LENGTH)
    return pd.concat([table, mean[table.columns]], ignore_index=True)


def _rho(group: pd.DataFrame) -> float:
    x, y = group["length"].to_numpy(), group["catalogue"].to_numpy()
    if len(x) < 3 or np.ptp(x) == 0:
        return np.nan
    return float(stats.pearsonr(x, y).statistic)


def select(lengths: pd.DataFrame, catalogue: pd.Series) -> pd.DataFrame:
    """Table 2: per method and rule, the settings with the highest validation ρ (run 1)."""
    table = lengths[lengths["run"] == 1].assign(
        catalogue=catalogue.loc[lengths.loc[lengths["run"] == 1, "dr7objid"]].to_numpy()
    )
    rho = (
        table.groupby(["method", "rule", *SETTINGS])[["length", "catalogue"]]
        .apply(_rho)
        .rename("rho_validation")
        .reset_index()
    )
    # A constant length (ρ undefined) is never chosen over a defined ρ, but still reported.
    rank = rho["rho_validation"].fillna(-np.inf)
    best = rho.loc[rank.groupby([rho["method"], rho["rule"]]).idxmax()]
    n = table.groupby(["method", "rule"])["dr7objid"].nunique().rename("n_galaxies")
    best = best.join(n, on=["method", "rule"])
    position = {m: i for i, m in enumerate(method_order(best["method"].unique()))}
    best = best.assign(_order=best["method"].map(position)).sort_values(["rule", "_order"])
    return best.drop(columns="_order").reset_index(drop=True)


def method_order(methods) -> list[str]:
    """Members first (as given), then the two combinations, then the references."""
    fixed = [MEAN_MAP, MEAN_LENGTH, IMAGE, ORACLE]
    return [m for m in methods if m not in fixed] + [m for m in fixed if m in set(methods)]


def headline(selection: pd.DataFrame) -> pd.Series:
    """The saliency method the paper would carry to the test set: best validation ρ."""
    saliency = selection[~selection["method"].isin(REFERENCES)]
    return saliency.loc[saliency["rho_validation"].fillna(-np.inf).idxmax()]


def selected_lengths(lengths: pd.DataFrame, choice: Mapping) -> pd.DataFrame:
    """Per galaxy: run-1 and run-2 lengths at one method's selected settings (wide)."""
    mask = (lengths["method"] == choice["method"]) & (lengths["rule"] == choice["rule"])
    for key in SETTINGS:
        mask &= np.isclose(lengths[key].astype(float), float(choice[key]))
    wide = lengths[mask].pivot_table(index="dr7objid", columns="run", values="length")
    return wide.rename(columns=lambda run: f"length_run{run}")


def decile_errors(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Per galaxy, the mean |l₁ − l₂| of its decile of mean length (the §5.1 error bars)."""
    mean, spread = (first + second) / 2, np.abs(first - second)
    edges = np.quantile(mean, np.linspace(0, 1, 11))
    decile = np.clip(np.searchsorted(edges, mean, side="right") - 1, 0, 9)
    per_decile = pd.Series(spread).groupby(decile).mean()
    return per_decile.loc[decile].to_numpy()


def metrics(
    measured: np.ndarray,
    reference: np.ndarray,
    *,
    n_boot: int,
    seed: int,
    size: np.ndarray | None = None,
) -> dict:
    """ρ with its bootstrap 95% interval, RMSE and (with ``size``) ρ with size controlled."""
    if len(measured) < 3 or np.ptp(measured) == 0:
        return {"n": len(measured), "rho": None}
    low, high = bootstrap_rho(measured, reference, n_boot, seed)
    result = {
        "n": len(measured),
        "rho": float(stats.pearsonr(measured, reference).statistic),
        "rho_ci95": [low, high],
        "rmse": float(np.sqrt(np.mean((measured - reference) ** 2))),
    }
    if size is not None:
        result["rho_size_controlled"] = partial_rho(measured, reference, size)
        result["rho_size_alone"] = float(stats.pearsonr(size, reference).statistic)
    return result


def test_lengths(lengths: pd.DataFrame, choice: Mapping) -> pd.DataFrame:
    """Test-set lengths of one selected method: mean of the runs and its decile error."""
    wide = selected_lengths(lengths, choice)
    if "length_run2" in wide:
        wide = wide.dropna(subset=["length_run1", "length_run2"])
        wide["length"] = (wide["length_run1"] + wide["length_run2"]) / 2
        wide["error"] = decile_errors(
            wide["length_run1"].to_numpy(), wide["length_run2"].to_numpy()
        )
    else:  # the references have no SmoothGrad noise: one run, no noise error
        wide["length"], wide["error"] = wide["length_run1"], 0.0
    return wide.assign(method=choice["method"], rule=choice["rule"])


def evaluate(
    lengths: pd.DataFrame,
    selection: pd.DataFrame,
    bars: pd.DataFrame,
    conv: Conventions,
    *,
    split: pd.Series,
    truth: pd.DataFrame | None,
    direct: pd.DataFrame | None,
    n_boot: int,
    seed: int,
    catalogue_error: float,
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Test metrics per selected method, the per-galaxy test lengths, and the summary."""
    galaxies = bars.set_index("dr7objid")
    true = None if truth is None else pd.Series(true_lengths(truth, conv), index=truth["dr7objid"])
    test_ids = split.index[split == TEST]
    lengths = lengths[lengths["dr7objid"].isin(test_ids)]
    rows, per_galaxy = [], []
    for _, choice in selection.iterrows():
        wide = test_lengths(lengths, choice)
        per_galaxy.append(wide.reset_index())
        rows.append(
            {
                **choice.to_dict(),
                **_scores(
                    wide["length"],
                    wide["error"],
                    galaxies,
                    true,
                    conv,
                    n_boot=n_boot,
                    seed=seed,
                    catalogue_error=catalogue_error,
                ),
            }
        )
    results = pd.DataFrame(rows)
    best = headline(selection)
    summary = {
        "units": _units_note(conv),
        "n_validation": int((split == VALIDATION).sum()),
        "n_test": int((split == TEST).sum()),
        "table2": selection.to_dict("records"),
        "test": results.to_dict("records"),
        "headline": {"method": best["method"], "rule": best["rule"]},
    }
    if direct is not None:
        summary["direct_cnn"] = _direct_scores(
            direct, galaxies, true, conv, n_boot, seed, catalogue_error
        )
        headline_test = results[
            (results["method"] == best["method"]) & (results["rule"] == best["rule"])
        ]
        summary["ranking"] = _ranking(
            headline_test.iloc[0],
            summary["direct_cnn"],
            per_galaxy,
            best,
            direct,
            galaxies,
            true,
            n_boot,
            seed,
        )
    return results, pd.concat(per_galaxy, ignore_index=True), summary


def _scores(
    measured: pd.Series,
    error: pd.Series,
    galaxies: pd.DataFrame,
    true: pd.Series | None,
    conv: Conventions,
    *,
    n_boot: int,
    seed: int,
    catalogue_error: float,
) -> dict:
    ids = measured.index
    x = measured.to_numpy(float)
    catalogue = galaxies.loc[ids, "bar_length_catalogue"].to_numpy(float)
    size = galaxy_size_kpc(galaxies.loc[ids], conv)
    scores = {
        f"catalogue_{k}": v
        for k, v in metrics(x, catalogue, n_boot=n_boot, seed=seed, size=size).items()
    }
    if len(x) >= 3 and np.ptp(x) > 0:
        slope, slope_error = wls_through_origin(
            x, catalogue, error.to_numpy(float), catalogue_error * catalogue
        )
        scores |= {"wls_slope": slope, "wls_slope_error": slope_error}
    if true is not None:
        truth = true.loc[ids].to_numpy(float)
        scores |= {
            f"truth_{k}": v
            for k, v in metrics(x, truth, n_boot=n_boot, seed=seed, size=size).items()
        }
    return scores


def _direct_scores(
    direct: pd.DataFrame, galaxies, true, conv, n_boot, seed, catalogue_error
) -> dict:
    test = direct[direct["split"] == "test"]
    return _scores(
        test["prediction"],
        pd.Series(0.0, index=test.index),
        galaxies,
        true,
        conv,
        n_boot=n_boot,
        seed=seed,
        catalogue_error=catalogue_error,
    )


def _ranking(
    saliency: pd.Series, direct: dict, per_galaxy, best, direct_table, galaxies, true, n_boot, seed
) -> dict:
    """Does the saliency method beat the direct CNN (the paper's claim)? Also on shared galaxies."""
    lengths = next(
        t
        for t in per_galaxy
        if t["method"].iloc[0] == best["method"] and t["rule"].iloc[0] == best["rule"]
    )
    lengths = lengths.set_index("dr7objid")["length"]
    shared = lengths.index.intersection(direct_table.index[direct_table["split"] == "test"])
    paired = {}
    for name, values in (
        ("saliency", lengths.loc[shared]),
        ("direct_cnn", direct_table.loc[shared, "prediction"]),
    ):
        catalogue = galaxies.loc[shared, "bar_length_catalogue"].to_numpy(float)
        paired[name] = {
            "catalogue": metrics(values.to_numpy(float), catalogue, n_boot=n_boot, seed=seed)
        }
        if true is not None:
            paired[name]["truth"] = metrics(
                values.to_numpy(float), true.loc[shared].to_numpy(float), n_boot=n_boot, seed=seed
            )
    verdict = {"shared_test_galaxies": len(shared), "paired": paired}
    for reference in ("catalogue", "truth"):
        a, b = saliency.get(f"{reference}_rho"), direct.get(f"{reference}_rho")
        if a is not None and b is not None and not pd.isna(a):
            verdict[f"saliency_beats_direct_on_{reference}"] = bool(a > b)
    return verdict


def _units_note(conv: Conventions) -> dict:
    return {
        "catalogue": conv.hoyle_length_units,
        "saliency_length_units": conv.saliency_length_units,
        "note": "lengths, RMSE and fits are in the catalogue's unit (h_inverse_kpc: kpc × h)",
    }


def markdown_table2(selection: pd.DataFrame) -> str:
    """Table 2 as Markdown: best validation ρ and the settings that gave it."""
    header = ["method", "rule", "X_input", "S_noise", "T_c", "T_l", "ρ (validation)", "n"]
    rows = [
        [
            r["method"], r["rule"], bool(r["x_input"]),
            tables.MISSING if r["method"] in REFERENCES else f"{r['noise']:g}",
            f"{r['t_corr']:g}", int(r["t_len"]), f"{r['rho_validation']:.3f}",
            int(r["n_galaxies"]),
        ]
        for _, r in selection.iterrows()
    ]  # fmt: skip
    return tables.markdown(header, rows)


def markdown_results(results: pd.DataFrame, summary: dict) -> str:
    """Test-set metrics of every method (and the direct CNN) as Markdown."""
    has_truth = "truth_rho" in results
    header = ["method", "rule", "n", "ρ catalogue [95%]", "RMSE", "ρ size-controlled"]
    header += ["WLS slope"] + (["ρ truth", "RMSE truth", "ρ truth size-controlled"] * has_truth)
    scores = ["catalogue_rmse", "catalogue_rho_size_controlled", "wls_slope"]
    scores += ["truth_rho", "truth_rmse", "truth_rho_size_controlled"] * has_truth

    def cells(r: Mapping) -> list[object]:
        low, high = r.get("catalogue_rho_ci95") or [np.nan, np.nan]
        rho = (
            f"{tables.number(r.get('catalogue_rho'))} [{tables.number(low)}, {tables.number(high)}]"
        )
        return [r["catalogue_n"], rho, *(tables.number(r.get(name)) for name in scores)]

    rows = [[r["method"], r["rule"], *cells(r)] for _, r in results.iterrows()]
    if "direct_cnn" in summary:
        rows.append(["direct CNN (own test split)", tables.MISSING, *cells(summary["direct_cnn"])])
    return tables.markdown(header, rows)
