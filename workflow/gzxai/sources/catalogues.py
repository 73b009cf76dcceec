"""Canonical galaxy tables from the sources' own files (real or synthetic alike).

Three tables, each validated against its contract in :mod:`gzxai.core.contracts`:

* ``kaggle``: Kaggle images with their 37 vote fractions (training) or none (test);
* ``gz2``: GZ2 galaxies with image, sizes, redshift, photometry, α and vote counts;
* ``bars``: the Hoyle et al. (2011) bar catalogue joined to GZ2 images and petroR90_r.

Every row that cannot be used goes to a quarantine report with the file, line and reason;
every builder also returns a summary of what it kept and why it set rows aside.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import astropy.units as u
import numpy as np
import pandas as pd

from gzxai.core import contracts as c
from gzxai.core import validation
from gzxai.core.layout import SourceLayout, gz2_image_name, kaggle_image_name
from gzxai.core.trees import load_tree
from gzxai.core.units import (
    HoyleLengthUnits,
    LengthScaled,
    gz2_pixel_scale,
    hoyle_length,
    length_scaled_to_angle,
    resolution_alpha,
)


@dataclass
class Built:
    """A canonical table, the rows set aside while building it, and a summary."""

    table: pd.DataFrame
    quarantine: pd.DataFrame
    summary: dict


def _image_names(directory: Path) -> set[str]:
    """Names of the JPEGs in a folder, read once (a real GZ2 folder has 240k files)."""
    if not directory.is_dir():
        return set()
    with os.scandir(directory) as entries:
        return {e.name for e in entries if e.name.endswith(".jpg") and not e.name.startswith("._")}


def _set_aside(
    table: pd.DataFrame,
    mask: np.ndarray,
    *,
    source: Path,
    id_column: str,
    reason: Iterable[str] | str,
    column: Iterable[str | None] | str | None = None,
    value: Iterable[object] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split off the rows in ``mask`` as quarantine rows, each with its file line (where the
    table still carries :data:`gzxai.core.contracts.LINE`), id, column, value and reason."""
    mask = np.asarray(mask, dtype=bool)
    n = int(mask.sum())
    removed = table.loc[mask]

    def per_row(item, default):
        if item is None:
            return [default] * n
        return [item] * n if isinstance(item, str) else list(item)

    lines = removed[validation.LINE] if validation.LINE in removed.columns else [None] * n
    ids = removed[id_column]
    report = validation.quarantine_frame(
        [
            validation.quarantine_record(source, r, row=line, id=i, column=col, value=v)
            for line, i, col, v, r in zip(
                lines,
                ids,
                per_row(column, id_column),
                per_row(value, None) if value is not None else list(ids),
                per_row(reason, ""),
                strict=True,
            )
        ]
    )
    return table.loc[~mask].reset_index(drop=True), report


def _reasons_summary(quarantine: pd.DataFrame) -> dict[str, int]:
    if quarantine.empty:
        return {}
    short = quarantine["reason"].str.replace(r":.*", "", regex=True)
    return {str(k): int(v) for k, v in short.value_counts().items()}


def build_kaggle(layout: SourceLayout, tree_sum_tolerance: float) -> Built:
    """Kaggle training rows (checked against the tree's sums) plus the unlabelled test images."""
    tree = load_tree()
    solutions, quarantine = validation.read_csv(layout.kaggle_solutions, c.KAGGLE_SOLUTIONS)
    n_read = len(solutions) + int(quarantine["row"].notna().sum())
    solutions, out_of_range = _fractions_in_range(solutions, layout, tree)
    solutions, broken, deviations = _tree_sums_hold(solutions, layout, tree, tree_sum_tolerance)
    solutions, missing = _require_images(
        solutions,
        layout=layout,
        folder=layout.kaggle_train_images,
        names=solutions["GalaxyID"].map(kaggle_image_name),
        source=layout.kaggle_solutions,
        id_column="GalaxyID",
    )
    quarantine = pd.concat([quarantine, out_of_range, broken, missing], ignore_index=True)
    labelled = solutions.rename(columns={"GalaxyID": "galaxy_id"})
    labelled["image_path"] = _image_paths(layout, layout.kaggle_train_images, labelled["galaxy_id"])
    labelled["labelled"] = True
    test_ids = sorted(int(n.removesuffix(".jpg")) for n in _image_names(layout.kaggle_test_images))
    unlabelled = pd.DataFrame(
        {
            "galaxy_id": test_ids,
            "image_path": _image_paths(layout, layout.kaggle_test_images, test_ids),
            "labelled": False,
        }
    )
    table = pd.concat([labelled, unlabelled], ignore_index=True)
    table, _ = validation.conform(table, c.KAGGLE_TABLE, "kaggle table")
    kept = deviations.max(axis=1, initial=0.0)
    summary = {
        "rows_read": n_read,
        "labelled_kept": int(table["labelled"].sum()),
        "unlabelled_images": len(unlabelled),
        "quarantined": len(quarantine),
        "quarantine_reasons": _reasons_summary(quarantine),
        "tree_sum_tolerance": tree_sum_tolerance,
        "tree_sum_max_deviation_kept": float(deviations.max(initial=0.0)),
        "rows_with_tree_sum_deviation_above_1e-6_kept": int((kept > 1e-6).sum()),
    }
    return Built(table, quarantine, summary)


def _image_paths(layout: SourceLayout, folder: Path, ids) -> list[str]:
    return [str((folder / kaggle_image_name(g)).relative_to(layout.root)) for g in ids]


def _fractions_in_range(
    solutions: pd.DataFrame, layout: SourceLayout, tree
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows whose 37 fractions are all in [0, 1], and a report of the others."""
    fractions = solutions[tree.kaggle_columns].to_numpy()
    outside = (fractions < 0) | (fractions > 1)
    out_of_range = outside.any(axis=1)
    first = outside[out_of_range].argmax(axis=1)
    rows = np.flatnonzero(out_of_range)
    return _set_aside(
        solutions,
        out_of_range,
        source=layout.kaggle_solutions,
        id_column="GalaxyID",
        reason="vote fraction outside [0, 1]",
        column=[tree.kaggle_columns[j] for j in first],
        value=[fractions[i, j] for i, j in zip(rows, first, strict=True)],
    )


def _tree_sums_hold(
    solutions: pd.DataFrame, layout: SourceLayout, tree, tolerance: float
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """The rows whose answers sum as the tree says (within ``tolerance``), a report of the
    others, and the kept rows' deviations."""
    deviations = tree.kaggle_sum_deviations(solutions[tree.kaggle_columns].to_numpy())
    worst = deviations.argmax(axis=1)
    broken = deviations.max(axis=1) > tolerance
    broken_rows = list(zip(np.flatnonzero(broken), worst[broken], strict=True))
    kept, report = _set_aside(
        solutions,
        broken,
        source=layout.kaggle_solutions,
        id_column="GalaxyID",
        reason=[
            f"tree sum: {tree.tasks[j].kaggle} deviates by {deviations[i, j]:.4f} "
            f"(tolerance {tolerance})"
            for i, j in broken_rows
        ],
        column=[",".join(a.kaggle for a in tree.tasks[j].answers) for _, j in broken_rows],
        value=[f"{deviations[i, j]:.6f}" for i, j in broken_rows],
    )
    return kept, report, deviations[~broken]


def _read_mapping(layout: SourceLayout) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The objid -> asset_id mapping; a repeated objid keeps its first asset (reported)."""
    mapping, quarantine = validation.read_csv(layout.gz2_mapping, c.FILENAME_MAPPING)
    duplicated = mapping["objid"].duplicated(keep="first").to_numpy()
    mapping, report = _set_aside(
        mapping,
        duplicated,
        source=layout.gz2_mapping,
        id_column="objid",
        reason="duplicate objid in mapping: first asset_id kept",
    )
    return mapping, pd.concat([quarantine, report], ignore_index=True)


def _join_required(
    left: pd.DataFrame,
    right: pd.DataFrame,
    *,
    left_on: str,
    right_on: str,
    left_source: Path,
    right_source: Path,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Inner join that reports every left row without a partner instead of dropping it."""
    right = right.drop(columns=validation.LINE, errors="ignore")
    known = left[left_on].isin(right[right_on]).to_numpy()
    left, report = _set_aside(
        left,
        ~known,
        source=left_source,
        id_column=left_on,
        reason=f"unknown id: {left_on} not in {right_source.name}",
    )
    joined = left.merge(
        right, left_on=left_on, right_on=right_on, how="left", validate="one_to_one"
    )
    return joined, report


def _require_images(
    table: pd.DataFrame,
    *,
    layout: SourceLayout,
    folder: Path,
    names: pd.Series,
    source: Path,
    id_column: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows whose image file is in ``folder``; the others are reported with the file expected."""
    missing = ~names.isin(_image_names(folder)).to_numpy()
    expected = [str((folder / name).relative_to(layout.root)) for name in names[missing]]
    return _set_aside(
        table,
        missing,
        source=source,
        id_column=id_column,
        reason=[f"image missing: expected {path}" for path in expected],
    )


def _with_images(
    table: pd.DataFrame, layout: SourceLayout, id_column: str, source: Path
) -> tuple[pd.DataFrame, pd.DataFrame]:
    table, report = _require_images(
        table,
        layout=layout,
        folder=layout.gz2_images,
        names=table["asset_id"].map(gz2_image_name),
        source=source,
        id_column=id_column,
    )
    table["image_path"] = [
        str((layout.gz2_images / gz2_image_name(a)).relative_to(layout.root))
        for a in table["asset_id"]
    ]
    return table, report


def _attach_gz2(
    table: pd.DataFrame,
    *,
    id_column: str,
    source: Path,
    layout: SourceLayout,
    sample_columns: list[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The paper's join chain: objid -> mapping -> asset_id -> image, objid -> gz2sample.

    Rows without a mapping entry, a gz2sample row or an image are reported, not dropped.
    """
    sample, q_sample = validation.read_csv(layout.gz2sample, c.GZ2SAMPLE)
    mapping, q_mapping = _read_mapping(layout)
    table, q_map = _join_required(
        table,
        mapping[["objid", "asset_id"]].rename(columns={"objid": id_column}),
        left_on=id_column,
        right_on=id_column,
        left_source=source,
        right_source=layout.gz2_mapping,
    )
    table, q_meta = _join_required(
        table,
        sample if sample_columns is None else sample[["OBJID", *sample_columns]],
        left_on=id_column,
        right_on="OBJID",
        left_source=source,
        right_source=layout.gz2sample,
    )
    table, q_images = _with_images(table, layout, id_column, source)
    quarantine = pd.concat([q_sample, q_mapping, q_map, q_meta, q_images], ignore_index=True)
    return table, quarantine


def build_gz2(layout: SourceLayout) -> Built:
    """GZ2 votes joined to images, gz2sample metadata and SDSS photometry (for α)."""
    tree = load_tree()
    votes, q_votes = validation.read_csv(layout.gz2_hart16, c.GZ2_HART16)
    photometry, q_phot = validation.read_csv(layout.photometry, c.PHOTOMETRY)
    keep = ["dr7objid", "ra", "dec", "total_classifications", validation.LINE]
    keep += tree.gz2_columns("count") + tree.gz2_columns("fraction")
    table, q_join = _attach_gz2(
        votes[keep], id_column="dr7objid", source=layout.gz2_hart16, layout=layout
    )
    table = table.merge(
        photometry.drop(columns=validation.LINE),
        left_on="dr7objid",
        right_on="objid",
        how="left",
        validate="one_to_one",
    )
    table = table.rename(
        columns={
            "REDSHIFT": "redshift",
            "PETROR50_R": "petro_r50_arcsec",
            "PETROR90_R": "petro_r90_arcsec",
            "PETROR50_R_KPC": "petro_r50_kpc",
            "PETROMAG_MR": "abs_mag_r",
            "petroRad_r": "petro_rad_arcsec",
            "psfWidth_r": "psf_fwhm_arcsec",
        }
    )
    table["alpha"] = resolution_alpha(
        table["petro_rad_arcsec"].to_numpy(float) * u.arcsec,
        table["psf_fwhm_arcsec"].to_numpy(float) * u.arcsec,
    )
    table, _ = validation.conform(table, c.GZ2_TABLE, "gz2 table")
    quarantine = pd.concat([q_votes, q_phot, q_join], ignore_index=True)
    summary = {
        "rows_read": len(votes) + int(q_votes["row"].notna().sum()),
        "kept": len(table),
        "without_photometry": int(table["alpha"].isna().sum()),
        "quarantined": len(quarantine),
        "quarantine_reasons": _reasons_summary(quarantine),
    }
    return Built(table, quarantine, summary)


def build_bars(
    layout: SourceLayout,
    *,
    length_units: HoyleLengthUnits,
    length_scaled: LengthScaled,
    hubble_h: float,
) -> Built:
    """Hoyle bar lengths with their GZ2 image (objid -> mapping -> asset_id) and petroR90_r."""
    hoyle, q_hoyle = validation.read_csv(layout.hoyle, c.HOYLE)
    table, q_join = _attach_gz2(
        hoyle,
        id_column="objid",
        source=layout.hoyle,
        layout=layout,
        sample_columns=["PETROR90_R", "REDSHIFT"],
    )
    r90 = table["PETROR90_R"].to_numpy(float) * u.arcsec
    arcsec = length_scaled_to_angle(table["length_scaled"].to_numpy(float), r90, length_scaled)
    table = table.rename(
        columns={"objid": "dr7objid", "PETROR90_R": "petro_r90_arcsec", "REDSHIFT": "redshift"}
    )
    table["bar_length_arcsec"] = arcsec.to_value(u.arcsec)
    table["bar_length_gz2_px"] = (arcsec / gz2_pixel_scale(r90)).to_value(u.pix)
    table["bar_length_catalogue"] = hoyle_length(
        table["length_avg"].to_numpy(float), length_units, hubble_h
    ).to_value(u.kpc)
    table, _ = validation.conform(table, c.BARS_TABLE, "bars table")
    quarantine = pd.concat([q_hoyle, q_join], ignore_index=True)
    summary = {
        "rows_read": len(hoyle) + int(q_hoyle["row"].notna().sum()),
        "kept": len(table),
        "length_units": str(length_units),
        "length_scaled": str(length_scaled),
        "quarantined": len(quarantine),
        "quarantine_reasons": _reasons_summary(quarantine),
    }
    return Built(table, quarantine, summary)


#: How many unreadable images a summary names (the table's unreadable.csv lists them all).
NAMED_IN_SUMMARY = 100


def with_image_outcomes(
    built: dict, table: pd.DataFrame, key: str, index: pd.DataFrame, unreadable: pd.DataFrame
) -> dict:
    """The catalogue's summary once its images are resized: what was kept now counts only
    galaxies whose image could be read, and the unreadable ones are counted and named."""
    has_image = table[key].isin(index["id"]).to_numpy()
    summary = {**built}
    if "labelled" in table.columns:
        labelled = table["labelled"].to_numpy(bool)
        summary["labelled_kept"] = int((labelled & has_image).sum())
        summary["unlabelled_images"] = int((~labelled & has_image).sum())
    else:
        summary["kept"] = int(has_image.sum())
    reasons = dict(summary.get("quarantine_reasons", {}))
    if len(unreadable):
        reasons["unreadable image"] = len(unreadable)
    summary |= {
        "quarantined": int(built.get("quarantined", 0)) + len(unreadable),
        "quarantine_reasons": reasons,
        "images_unreadable": len(unreadable),
        "unreadable_images": [
            {"id": r.id, "file": r.file, "reason": r.reason}
            for r in unreadable.head(NAMED_IN_SUMMARY).itertuples()
        ],
    }
    return summary
