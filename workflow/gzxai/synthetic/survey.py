"""Assemble the synthetic survey and write it in the real sources' formats.

Layout (see :mod:`gzxai.core.layout`), all under the source root:

* Kaggle: ``training_solutions_rev1.csv`` and ``images_training_rev1/<GalaxyID>.jpg`` for the
  labelled part, ``images_test_rev1/<GalaxyID>.jpg`` for the rest;
* GZ2: ``gz2_hart16.csv.gz`` (real column names), ``gz2sample.csv``,
  ``gz2_filename_mapping.csv`` and ``images_gz2/images/<asset_id>.jpg``;
* Hoyle: ``hoyle_barlengths.csv``; SDSS: ``photometry.csv``;
* ``truth.parquet``: everything the generator knows, which real data never has.

Everything is written into a staging folder first and moved into place at the end, so a
killed run leaves no output that looks complete.
"""

from __future__ import annotations

import io
import shutil
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import astropy.units as u
import numpy as np
import pandas as pd
from astropy.coordinates import SkyCoord
from astropy.cosmology import FLRW
from PIL import Image
from tqdm import tqdm

from gzxai.core import contracts as c
from gzxai.core import validation
from gzxai.core.io import write_csv, write_parquet
from gzxai.core.layout import SourceLayout, gz2_image_name, kaggle_image_name
from gzxai.core.trees import load_tree
from gzxai.core.units import LengthScaled, angle_to_kpc, angle_to_length_scaled, cosmology
from gzxai.synthetic import priors as priors_mod
from gzxai.synthetic.population import (
    FluxLimitedConfig,
    PopulationConfig,
    draw_flux_limited,
    draw_population,
    hoyle_volume_limit,
)
from gzxai.synthetic.render import RenderConfig, render_survey_images
from gzxai.synthetic.votes import VoteConfig, perceived_class, simulate_votes

#: Offset of synthetic SDSS objids: far from every real DR7 objid (5.87e17-5.89e17).
SYNTHETIC_OBJID_BASE = 8_000_000_000_000_000_000
_VOTE_STREAM, _ID_STREAM, _HOYLE_STREAM = 1, 2, 3
#: Sub-stream of the vote and id streams for the flux-limited galaxies beyond the Hoyle volume.
_FLUX_LIMITED = 1
#: kaggle_id of galaxies that are not in the Kaggle competition set.
NOT_IN_KAGGLE = -1


@dataclass(frozen=True)
class HoyleConfig:
    min_bar_fraction: float
    min_bar_votes: int
    human_scatter: float


@dataclass(frozen=True)
class SurveyConfig:
    seed: int
    population: PopulationConfig
    flux_limited: FluxLimitedConfig
    render: RenderConfig
    votes: VoteConfig
    hoyle: HoyleConfig
    kaggle_labelled_fraction: float
    jpeg_quality: int
    length_scaled: LengthScaled

    @classmethod
    def from_config(cls, config: dict) -> SurveyConfig:
        synthetic = config["synthetic"]
        conventions = config["conventions"]
        return cls(
            seed=int(config["seed"]),
            population=PopulationConfig.from_config(synthetic["population"], conventions),
            flux_limited=FluxLimitedConfig(**synthetic["flux_limited"]),
            render=RenderConfig.from_config(synthetic["render"]),
            votes=VoteConfig.from_config(synthetic["volunteers"], synthetic["bias"]),
            hoyle=HoyleConfig(**synthetic["hoyle"]),
            kaggle_labelled_fraction=float(synthetic["kaggle_labelled_fraction"]),
            jpeg_quality=int(synthetic["jpeg_quality"]),
            length_scaled=LengthScaled(conventions["length_scaled"]),
        )


@dataclass
class Survey:
    """The drawn survey: one row per galaxy in ``truth``, vote counts in tree order."""

    truth: pd.DataFrame
    counts: np.ndarray


def draw_survey(cfg: SurveyConfig) -> Survey:
    """Population, injected bias, votes and identifiers: everything but the pixels.

    The volume-limited population (the Kaggle set and the Hoyle parent sample) is drawn
    first and does not depend on the flux-limited galaxies appended after it: those extend
    the GZ2 tables only, with their own random streams.
    """
    population = draw_population(cfg.population, cfg.seed)
    rng_votes = np.random.default_rng([cfg.seed, _VOTE_STREAM])
    truth, counts = _voted(population, cfg.votes, rng_votes)
    truth = _with_kaggle_ids(truth, counts, cfg)
    if cfg.flux_limited.n_galaxies:
        distant = draw_flux_limited(cfg.population, cfg.flux_limited, cfg.seed)
        rng_votes = np.random.default_rng([cfg.seed, _VOTE_STREAM, _FLUX_LIMITED])
        distant, distant_counts = _voted(distant, cfg.votes, rng_votes)
        distant = _gz2_only_ids(distant, len(truth), cfg.seed)
        truth = pd.concat([truth, distant], ignore_index=True)
        counts = np.concatenate([counts, distant_counts])
    return Survey(truth=truth, counts=counts)


def _voted(
    population: pd.DataFrame, votes: VoteConfig, rng: np.random.Generator
) -> tuple[pd.DataFrame, np.ndarray]:
    perceived, flipped = perceived_class(population, votes.theta, rng)
    counts = simulate_votes(population, perceived, votes, rng)
    truth = population.assign(labelled_class=perceived, bias_flipped=flipped, theta=votes.theta)
    return truth, counts


def _sky_positions(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    return {
        "ra": rng.uniform(110.0, 260.0, n),
        "dec": np.degrees(
            np.arcsin(rng.uniform(np.sin(np.radians(-5)), np.sin(np.radians(65)), n))
        ),
    }


def _with_kaggle_ids(truth: pd.DataFrame, counts: np.ndarray, cfg: SurveyConfig) -> pd.DataFrame:
    n = len(truth)
    rng_ids = np.random.default_rng([cfg.seed, _ID_STREAM])
    # Kaggle normalises Q6 (anything odd?) to 1, which is undefined for a galaxy whose every
    # volunteer answered star/artifact (they never reach Q6); the real training set has no
    # such row, so those galaxies go to the unlabelled Kaggle test images instead.
    odd_votes = counts[:, load_tree().answer_slices()["t06_odd"]].sum(axis=1)
    ids = {
        "index": np.arange(n),
        "dr7objid": SYNTHETIC_OBJID_BASE + np.arange(n, dtype=np.int64),
        "kaggle_id": rng_ids.choice(np.arange(100_000, 1_000_000), size=n, replace=False),
        "asset_id": rng_ids.permutation(n) + 1,
        "kaggle_labelled": (rng_ids.uniform(size=n) < cfg.kaggle_labelled_fraction)
        & (odd_votes > 0),
    }
    return truth.assign(**ids, **_sky_positions(rng_ids, n), in_kaggle=True)


def _gz2_only_ids(truth: pd.DataFrame, offset: int, seed: int) -> pd.DataFrame:
    """Identifiers of galaxies in the GZ2 tables only, numbered after the first ``offset``."""
    n = len(truth)
    rng_ids = np.random.default_rng([seed, _ID_STREAM, _FLUX_LIMITED])
    ids = {
        "index": offset + np.arange(n),
        "dr7objid": SYNTHETIC_OBJID_BASE + offset + np.arange(n, dtype=np.int64),
        "kaggle_id": np.full(n, NOT_IN_KAGGLE, dtype=np.int64),
        "asset_id": offset + rng_ids.permutation(n) + 1,
        "kaggle_labelled": False,
    }
    return truth.assign(**ids, **_sky_positions(rng_ids, n), in_kaggle=False)


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
    rng = np.random.default_rng([cfg.seed, _HOYLE_STREAM])
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


def _render_chunk(args: tuple) -> int:
    """Worker: render a chunk of galaxies and write each JPEG to its GZ2 and Kaggle paths."""
    chunk, seed, render_cfg, quality, gz2_dir, train_dir, test_dir = args
    written = 0
    for indices, images in render_survey_images(chunk, seed, render_cfg):
        rows = chunk.set_index("index").loc[indices]
        for image, row in zip(images, rows.itertuples(), strict=True):
            buffer = io.BytesIO()
            Image.fromarray(image).save(buffer, format="JPEG", quality=quality)
            data = buffer.getvalue()
            (Path(gz2_dir) / gz2_image_name(row.asset_id)).write_bytes(data)
            if row.in_kaggle:
                kaggle_dir = train_dir if row.kaggle_labelled else test_dir
                (Path(kaggle_dir) / kaggle_image_name(row.kaggle_id)).write_bytes(data)
            written += 1
    return written


def write_survey(cfg: SurveyConfig, root: Path, threads: int = 1, progress: bool = True) -> dict:
    """Draw, render and write the whole survey under ``root``; return a short summary."""
    root = Path(root)
    staging = root / ".staging"
    shutil.rmtree(staging, ignore_errors=True)
    stage = SourceLayout(staging)
    final = SourceLayout(root)
    for directory in stage.image_dirs().values():
        directory.mkdir(parents=True)

    survey = draw_survey(cfg)
    truth = survey.truth
    tree = load_tree()
    labelled = truth["kaggle_labelled"].to_numpy()
    # Six decimals, as the real file: rounding keeps the tree sums within 1e-5.
    solutions = pd.DataFrame(
        tree.kaggle_fractions(survey.counts[labelled]).round(6), columns=tree.kaggle_columns
    )
    solutions.insert(0, "GalaxyID", truth.loc[labelled, "kaggle_id"].to_numpy())
    h0, om = cfg.population.cosmology_h0, cfg.population.cosmology_omega_m
    tables = {
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
    for path, table in tables.items():
        write_csv(table, path)
    truth_out, _ = validation.conform(truth, c.TRUTH_TABLE, "truth")
    write_parquet(truth_out, stage.truth)

    n_chunks = max(1, min(len(truth), 8 * threads))
    chunks = [truth.iloc[rows] for rows in np.array_split(np.arange(len(truth)), n_chunks)]
    jobs = [
        (
            chunk,
            cfg.seed,
            cfg.render,
            cfg.jpeg_quality,
            stage.gz2_images,
            stage.kaggle_train_images,
            stage.kaggle_test_images,
        )
        for chunk in chunks
        if len(chunk)
    ]
    bar = tqdm(
        total=len(truth), desc="rendering synthetic galaxies", unit="gal", disable=not progress
    )
    if threads > 1:
        with ProcessPoolExecutor(max_workers=threads) as pool:
            for written in pool.map(_render_chunk, jobs):
                bar.update(written)
    else:
        for job in jobs:
            bar.update(_render_chunk(job))
    bar.close()

    _move_into_place(stage, final)
    shutil.rmtree(staging)
    return {
        "n_galaxies": len(truth),
        "classes": truth["true_class"].value_counts().to_dict(),
        "barred": int(truth["has_bar"].sum()),
        "hoyle_rows": len(tables[stage.hoyle]),
        "kaggle_labelled": int(labelled.sum()),
        "kaggle_unlabelled": int((truth["in_kaggle"] & ~truth["kaggle_labelled"]).sum()),
        "flux_limited_beyond_hoyle_volume": int((~truth["in_kaggle"]).sum()),
        "bias_flipped": int(truth["bias_flipped"].sum()),
        "theta": cfg.votes.theta,
        "alpha_quartiles": np.quantile(truth["alpha"], [0.25, 0.5, 0.75]).round(2).tolist(),
        "r50_over_shen2003": size_check(truth, cosmology(h0, om)),
    }


def size_check(truth: pd.DataFrame, cosmo: FLRW) -> dict[str, float | None]:
    """Median half-light radius over Shen et al. (2003)'s SDSS median at the same M_r.

    Disks are compared with Shen's late types and smooth galaxies with the early types. The
    real galaxies scatter about Shen's medians by σ(ln R) ≈ 0.25–0.3, so a median ratio far
    from 1 says the survey's galaxies are larger or smaller on the sky than SDSS galaxies of
    their luminosity, and their resolution α with them.
    """
    r50_kpc = angle_to_kpc(
        truth["petro_r50_arcsec"].to_numpy() * u.arcsec, truth["redshift"].to_numpy(), cosmo
    ).to_value(u.kpc)
    ratios: dict[str, float | None] = {}
    for kind, early in (("disk", False), ("smooth", True)):
        chosen = (truth["true_class"] == kind).to_numpy()
        if not chosen.any():
            ratios[kind] = None  # a tiny survey without this class
            continue
        yardstick = priors_mod.shen2003_median_r50(truth.loc[chosen, "abs_mag_r"], early)
        ratios[kind] = round(float(np.median(r50_kpc[chosen] / yardstick)), 3)
    return ratios


def _move_into_place(stage: SourceLayout, final: SourceLayout) -> None:
    """Replace the previous outputs with the staged ones, tables and folders alike."""
    pairs = [*zip(stage.tables().values(), final.tables().values(), strict=True)]
    pairs += [*zip(stage.image_dirs().values(), final.image_dirs().values(), strict=True)]
    pairs.append((stage.truth, final.truth))
    for src, dst in pairs:
        dst.parent.mkdir(parents=True, exist_ok=True)
        if dst.is_dir():
            shutil.rmtree(dst)
        Path(src).replace(dst)
