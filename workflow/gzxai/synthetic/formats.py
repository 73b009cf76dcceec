"""The synthetic survey's tables in the real sources' formats: GZ2's ``gz2_hart16`` and
``gz2sample``, Hoyle's bar lengths (measured with the volunteers' scatter) and every source
table of one drawn survey."""

from __future__ import annotations

from typing import TYPE_CHECKING

import astropy.units as u
import numpy as np
import pandas as pd
from astropy.coordinates import SkyCoord

from gzxai.core.layout import SourceLayout
from gzxai.core.trees import load_tree
from gzxai.core.units import angle_to_kpc, angle_to_length_scaled, cosmology
from gzxai.synthetic import priors as priors_mod
from gzxai.synthetic.population import hoyle_volume_limit

if TYPE_CHECKING:  # the survey module imports this one
    from gzxai.synthetic.survey import Survey, SurveyConfig

#: Random stream of the Hoyle measurements (the survey's other streams are in survey.py).
HOYLE_STREAM = 3


def _task_fractions(counts: np.ndarray) -> np.ndarray:
    tree = load_tree()
    fractions = np.zeros(counts.shape)
    for sl in tree.answer_slices().values():
        block = counts[:, sl].astype(float)
        total = block.sum(axis=1, keepdims=True)
        fractions[:, sl] = np.divide(block, total, out=np.zeros_like(block), where=total > 0)
    return fractions


def gz2_hart16_table(survey: Survey) -> pd.DataFrame:
    """The Hart et al. (2016) table. Synthetic volunteers are all equally consistent and no
    debiasing is applied, so weight = count and weighted_fraction = debiased = fraction;
    flag = 1 where an answer has ≥ 80% of ≥ 20 votes."""
    tree = load_tree()
    t = survey.truth
    fractions = _task_fractions(survey.counts)
    task_votes = np.zeros(survey.counts.shape, dtype=np.int64)
    for sl in tree.answer_slices().values():
        task_votes[:, sl] = survey.counts[:, sl].sum(axis=1, keepdims=True)
    coords = SkyCoord(t["ra"].to_numpy() * u.deg, t["dec"].to_numpy() * u.deg)
    columns: dict[str, object] = {
        "dr7objid": t["dr7objid"],
        "ra": t["ra"].round(6),
        "dec": t["dec"].round(6),
        "rastring": coords.ra.to_string(unit=u.hourangle, sep=":", precision=2, pad=True),
        "decstring": coords.dec.to_string(sep=":", precision=2, alwayssign=True, pad=True),
        "sample": "original",
        "gz2_class": gz2_classes(survey.counts),
        "total_classifications": survey.counts[:, 0:3].sum(axis=1),
        "total_votes": survey.counts.sum(axis=1),
    }
    for j, stem in enumerate(tree.gz2_stems):
        columns[f"{stem}_count"] = survey.counts[:, j]
        columns[f"{stem}_weight"] = survey.counts[:, j].astype(float)
        columns[f"{stem}_fraction"] = fractions[:, j].round(3)
        columns[f"{stem}_weighted_fraction"] = fractions[:, j].round(3)
        columns[f"{stem}_debiased"] = fractions[:, j].round(3)
        columns[f"{stem}_flag"] = ((fractions[:, j] >= 0.8) & (task_votes[:, j] >= 20)).astype(int)
    return pd.DataFrame(columns)


def gz2_classes(counts: np.ndarray) -> list[str]:
    """Willett's shorthand for the plurality path through the tree (gz2_scheme.txt), simplified:
    E+r/i/c for smooth, Se+r/b/n for edge-on, S[B]+bulge a-d+[arms 1-4,+,? winding t/m/l],
    A for star/artifact."""
    tree = load_tree()
    sl = tree.answer_slices()

    def pick(i: int, task: str) -> int:
        return int(np.argmax(counts[i, sl[task]]))

    classes = []
    for i in range(len(counts)):
        first = pick(i, "t01_smooth_or_features")
        if first == 2:
            classes.append("A")
        elif first == 0:
            classes.append("E" + "ric"[pick(i, "t07_rounded")])
        elif pick(i, "t02_edgeon") == 0:
            classes.append("Se" + "rbn"[pick(i, "t09_bulge_shape")])
        else:
            name = (
                "S"
                + ("B" if pick(i, "t03_bar") == 0 else "")
                + "dcba"[pick(i, "t05_bulge_prominence")]
            )
            if pick(i, "t04_spiral") == 0:
                name += "1234+?"[pick(i, "t11_arms_number")] + "tml"[pick(i, "t10_arms_winding")]
            classes.append(name)
    return classes


def gz2sample_table(survey: Survey, cosmo_h0: float, cosmo_omega_m: float) -> pd.DataFrame:
    t = survey.truth
    cosmo = cosmology(cosmo_h0, cosmo_omega_m)
    apparent = t["abs_mag_r"] + cosmo.distmod(t["redshift"].to_numpy()).value
    r50_kpc = angle_to_kpc(
        t["petro_r50_arcsec"].to_numpy() * u.arcsec, t["redshift"].to_numpy(), cosmo
    )
    return pd.DataFrame(
        {
            "OBJID": t["dr7objid"],
            "RA": t["ra"].round(6),
            "DEC": t["dec"].round(6),
            "PETROR50_R": t["petro_r50_arcsec"].round(4),
            "PETROR90_R": t["petro_r90_arcsec"].round(4),
            "PETROMAG_R": apparent.round(4),
            "REDSHIFT": t["redshift"].round(6),
            "PETROMAG_MR": t["abs_mag_r"].round(4),
            "PETROR50_R_KPC": r50_kpc.to_value(u.kpc).round(4),
        }
    )


def hoyle_table(survey: Survey, cfg: SurveyConfig) -> pd.DataFrame:
    """Hoyle-format bar measurements of the galaxies volunteers call barred.

    Each catalogue galaxy gets ``bar_meas`` volunteer measurements (distribution from the real
    catalogue), each the projected full length × (1 + ``human_scatter`` · N(0, 1)); the file
    holds their mean and spread in kpc (h = 0.7, as the real file) and ``length_scaled``.
    """
    tree = load_tree()
    t = survey.truth
    bar_col = tree.answer_index("t03_bar_a06_bar")
    bar_votes = survey.counts[:, tree.answer_slices()["t03_bar"]].sum(axis=1)
    bar_frac = np.divide(
        survey.counts[:, bar_col], bar_votes, out=np.zeros(len(t)), where=bar_votes > 0
    )
    chosen = (
        t["has_bar"].to_numpy(bool)
        & (t["redshift"].to_numpy() <= hoyle_volume_limit())
        & (bar_votes >= cfg.hoyle.min_bar_votes)
        & (bar_frac >= cfg.hoyle.min_bar_fraction)
    )
    sel = t.loc[chosen]
    rng = np.random.default_rng([cfg.seed, HOYLE_STREAM])
    meas = priors_mod.load()["bar_meas"]
    n_meas = rng.choice(meas["values"], size=len(sel), p=meas["probabilities"])
    cosmo = cosmology(cfg.population.cosmology_h0, cfg.population.cosmology_omega_m)
    kpc_per_arcsec = angle_to_kpc(1 * u.arcsec, sel["redshift"].to_numpy(), cosmo).to_value(u.kpc)

    def measured(full_arcsec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        means, spreads = np.empty(len(sel)), np.empty(len(sel))
        for i, (truth, k) in enumerate(zip(full_arcsec, n_meas, strict=True)):
            draws = truth * np.maximum(1.0 + cfg.hoyle.human_scatter * rng.standard_normal(k), 0.1)
            means[i], spreads[i] = draws.mean(), draws.std(ddof=1)
        return means, spreads

    length, length_sd = measured(2 * sel["bar_half_length_arcsec"].to_numpy())
    width, width_sd = measured(
        2 * sel["bar_half_width_px"].to_numpy() * sel["pixel_scale_arcsec"].to_numpy()
    )
    r90 = sel["petro_r90_arcsec"].to_numpy() * u.arcsec
    return pd.DataFrame(
        {
            "objid": sel["dr7objid"].to_numpy(),
            "ra": sel["ra"].round(6).to_numpy(),
            "dec": sel["dec"].round(6).to_numpy(),
            "length_avg": (length * kpc_per_arcsec).round(6),
            "length_stdev": (length_sd * kpc_per_arcsec).round(6),
            "width_avg": (width * kpc_per_arcsec).round(6),
            "width_stdev": (width_sd * kpc_per_arcsec).round(6),
            "length_scaled": angle_to_length_scaled(
                length * u.arcsec, r90, cfg.length_scaled
            ).round(6),
            "bar_meas": n_meas,
        }
    )


def source_tables(survey: Survey, cfg: SurveyConfig, stage: SourceLayout) -> dict:
    """Every source table of the survey by the path it is written to (images aside)."""
    truth = survey.truth
    tree = load_tree()
    labelled = truth["kaggle_labelled"].to_numpy()
    # Six decimals, as the real file: rounding keeps the tree sums within 1e-5.
    solutions = pd.DataFrame(
        tree.kaggle_fractions(survey.counts[labelled]).round(6), columns=tree.kaggle_columns
    )
    solutions.insert(0, "GalaxyID", truth.loc[labelled, "kaggle_id"].to_numpy())
    h0, om = cfg.population.cosmology_h0, cfg.population.cosmology_omega_m
    return {
        stage.kaggle_solutions: solutions.sort_values("GalaxyID"),
        stage.gz2_hart16: gz2_hart16_table(survey),
        stage.gz2sample: gz2sample_table(survey, h0, om),
        stage.gz2_mapping: truth[["dr7objid", "asset_id"]]
        .rename(columns={"dr7objid": "objid"})
        .assign(sample="original")[["objid", "sample", "asset_id"]],
        stage.hoyle: hoyle_table(survey, cfg),
        stage.photometry: pd.DataFrame(
            {
                "objid": truth["dr7objid"],
                "petroRad_r": truth["petro_rad_arcsec"].round(4),
                "psfWidth_r": truth["psf_fwhm_arcsec"].round(4),
            }
        ),
    }
