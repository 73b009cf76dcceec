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
from astropy.cosmology import FLRW
from PIL import Image
from tqdm import tqdm

from gzxai.core import contracts as c
from gzxai.core import validation
from gzxai.core.io import write_csv, write_parquet
from gzxai.core.layout import SourceLayout, gz2_image_name, kaggle_image_name
from gzxai.core.trees import load_tree
from gzxai.core.units import LengthScaled, angle_to_kpc, cosmology
from gzxai.synthetic import priors as priors_mod
from gzxai.synthetic.formats import source_tables
from gzxai.synthetic.population import (
    FluxLimitedConfig,
    PopulationConfig,
    draw_flux_limited,
    draw_population,
)
from gzxai.synthetic.render import RenderConfig, render_survey_images
from gzxai.synthetic.votes import VoteConfig, perceived_class, simulate_votes

#: Offset of synthetic SDSS objids: far from every real DR7 objid (5.87e17-5.89e17).
SYNTHETIC_OBJID_BASE = 8_000_000_000_000_000_000
_VOTE_STREAM, _ID_STREAM = 1, 2
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
            flux_limited=FluxLimitedConfig.from_config(synthetic["flux_limited"]),
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
    counts, rho = simulate_votes(population, perceived, votes, rng)
    truth = population.assign(
        labelled_class=perceived,
        bias_flipped=flipped,
        theta=votes.theta,
        **dict(zip(c.TRUTH_RHO_COLUMNS, rho.T, strict=True)),
    )
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
    labelled = truth["kaggle_labelled"].to_numpy()
    h0, om = cfg.population.cosmology_h0, cfg.population.cosmology_omega_m
    tables = source_tables(survey, cfg, stage)
    for path, table in tables.items():
        write_csv(table, path)
    truth_out, _ = validation.conform(truth, c.TRUTH_TABLE, "truth")
    write_parquet(truth_out, stage.truth)

    _render_images(truth, cfg, stage, threads, progress)
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
        "alpha_quartiles": _quartiles(truth["alpha"]),
        "r50_over_shen2003": size_check(truth, cosmology(h0, om)),
        "volume_limited": _part_summary(truth[truth["in_kaggle"]], cosmology(h0, om)),
        "gz2_part_beyond_hoyle_volume": _part_summary(
            truth[~truth["in_kaggle"]], cosmology(h0, om)
        ),
    }


def _quartiles(values: pd.Series, digits: int = 2) -> list[float]:
    return np.quantile(values, [0.25, 0.5, 0.75]).round(digits).tolist() if len(values) else []


def _part_summary(part: pd.DataFrame, cosmo: FLRW) -> dict:
    """Size, resolution and bias of one part of the survey (for comparison with GZ2's)."""
    disks = part["true_class"] == "disk"
    return {
        "n_galaxies": len(part),
        "alpha_quartiles": _quartiles(part["alpha"]),
        "alpha_quartiles_disks": _quartiles(part.loc[disks, "alpha"]),
        "redshift_quartiles": _quartiles(part["redshift"], digits=3),
        "psf_fwhm_arcsec_quartiles": _quartiles(part["psf_fwhm_arcsec"]),
        "r50_over_shen2003": size_check(part, cosmo),
        "disks_flipped_fraction": round(float(part.loc[disks, "bias_flipped"].mean()), 4)
        if disks.any()
        else None,
    }


def _render_images(
    truth: pd.DataFrame, cfg: SurveyConfig, stage: SourceLayout, threads: int, progress: bool
) -> None:
    """Every galaxy's JPEG, rendered in chunks on ``threads`` processes."""
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
