"""Data contracts: every table that crosses a stage boundary, in one place.

A :class:`TableSpec` names a table's columns, their kinds, units and whether they may be
empty. Readers of the real sources' files and writers of canonical tables both go through
:func:`conform`, so a column that is missing, of the wrong kind or unparseable produces a
message naming the file, row and column (or a quarantine row), never a silent drop.

A spec lists only the columns gzxai uses: a source file may carry more (and the real files
do; their documentation does not always spell their headers as the files do), and those
are ignored.

File layouts (where each source keeps which file) are in :mod:`gzxai.core.layout`; this module is
about what is inside the files.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from gzxai.core.errors import InputError
from gzxai.core.trees import load_tree

KINDS = {"int": "int64", "float": "float64", "float32": "float32", "str": "string", "bool": "bool"}

QUARANTINE_COLUMNS = ["file", "row", "id", "column", "value", "reason"]

#: Column that :func:`read_csv` adds to the rows it returns: their line in the file, so that
#: a check made later (a join, a tree sum) can still point at the line.
LINE = "source_line"

_INT64 = (-(2**63), 2**63 - 1)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    unit: str = ""
    nullable: bool = False
    description: str = ""
    #: Numbers a source writes for "not measured" (SDSS: -9999); such a row is quarantined.
    sentinels: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.name}: unknown kind {self.kind!r}")


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Column, ...]
    key: str | None = None
    description: str = ""
    #: Columns a file may carry beyond these are kept (True) or dropped (False).
    keep_extra: bool = False
    column_index: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column_index", {c.name: c for c in self.columns})

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


def quarantine_record(
    file: str | Path,
    reason: str,
    *,
    row: int | None = None,
    id: object = None,
    column: str | None = None,
    value: object = None,
) -> dict:
    """One row set aside: which file, line, id, column and value, and why."""
    return {
        "file": str(file),
        "row": None if row is None or pd.isna(row) else int(row),
        "id": None if id is None or (not isinstance(id, str) and pd.isna(id)) else str(id),
        "column": column,
        "value": None if value is None or (not isinstance(value, str) and pd.isna(value))
        else str(value),
        "reason": reason,
    }  # fmt: skip


def quarantine_frame(rows: list[dict] | None = None) -> pd.DataFrame:
    """A quarantine report (rows of :func:`quarantine_record`)."""
    return pd.DataFrame(rows or [], columns=QUARANTINE_COLUMNS).astype(
        {
            "file": "string",
            "row": "Int64",
            "id": "string",
            "column": "string",
            "value": "string",
            "reason": "string",
        }
    )


def missing_columns(header: Sequence[str], spec: TableSpec, source: str | Path) -> None:
    """Raise :class:`InputError` if ``header`` lacks a column of ``spec``, naming for each the
    closest header the file does have (a renamed column is the usual cause)."""
    header = [str(name) for name in header]
    missing = [name for name in spec.names if name not in header]
    if not missing:
        return
    described = []
    for name in missing:
        close = difflib.get_close_matches(name, header, n=1, cutoff=0.6)
        described.append(f"{name} (closest in the file: {close[0]})" if close else name)
    raise InputError(
        f"{source}: missing column(s) {', '.join(described)} required by the {spec.name} "
        f"contract (the file has {len(header)} columns, starting {', '.join(header[:8])})"
    )


def parse_integers(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Integers read exactly from text: (Int64 values, reason per unusable value).

    18-digit SDSS objids do not survive a float64 round trip, so text is never parsed as a
    float. ``587732591714893851.0`` and ``5.87732591714893851e+17`` spell every digit and are
    read exactly; ``5.877325917148938e+17`` does not (its last digits were lost when it was
    written as a float) and is reported, as are fractions, non-numbers and values outside
    the 64-bit range. Empty values are <NA> without a reason (the caller decides).
    """
    text = raw.astype("string").str.strip()
    values = pd.Series(pd.NA, index=raw.index, dtype="Int64")
    reasons = pd.Series(pd.NA, index=raw.index, dtype="string")
    present = text.notna() & (text != "")
    plain = present & text.str.fullmatch(r"[+-]?\d{1,18}").fillna(False)
    values[plain] = text[plain].astype("Int64")
    for i in np.flatnonzero((present & ~plain).to_numpy()):
        value, reason = _exact_integer(text.iloc[i])
        if reason is None:
            values.iloc[i] = value
        else:
            reasons.iloc[i] = reason
    return values, reasons


def _exact_integer(text: str) -> tuple[int | None, str | None]:
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None, "not a number (int)"
    if not number.is_finite():
        return None, "not a number (int)"
    if number != number.to_integral_value():
        return None, "not an integer"
    if number.as_tuple().exponent > 0:
        return None, ("integer written in floating point with digits lost; write ids as integers")
    value = int(number)
    if not _INT64[0] <= value <= _INT64[1]:
        return None, "integer outside the 64-bit range"
    return value, None


def conform(
    table: pd.DataFrame,
    spec: TableSpec,
    source: str | Path,
    first_row: int = 2,
    keep_lines: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check ``table`` against ``spec``; return the conforming rows and a quarantine report.

    Missing columns raise :class:`InputError` (the whole file is unusable). Values that do
    not parse as their column's kind, empty values in non-nullable columns, sentinels and
    duplicate keys send their row to the quarantine report. Rows are located by their
    :data:`LINE` column where the table has one, else as lines from ``first_row`` (2 for a
    CSV with a header line). ``keep_lines`` keeps that column in the result.
    """
    missing_columns(list(table.columns), spec, source)
    table = table.reset_index(drop=True)
    lines = (
        table[LINE].astype("Int64").to_numpy(dtype=object, na_value=None)
        if LINE in table.columns
        else np.arange(first_row, first_row + len(table))
    )
    bad = np.zeros(len(table), dtype=bool)
    problems: list[dict] = []
    converted: dict[str, pd.Series] = {}
    key_values = table[spec.key].astype("string") if spec.key else None

    def flag(mask: np.ndarray, column: str, values: pd.Series, reason) -> None:
        for i in np.flatnonzero(mask & ~bad):
            problems.append(
                quarantine_record(
                    source,
                    reason if isinstance(reason, str) else reason.iloc[i],
                    row=lines[i],
                    id=None if key_values is None else key_values.iloc[i],
                    column=column,
                    value=values.iloc[i],
                )
            )
        bad[mask] = True

    for col in spec.columns:
        raw = table[col.name]
        empty = (
            raw.isna().to_numpy()
            | (raw.astype("string").str.strip() == "").fillna(False).to_numpy()
        )
        if col.kind == "int":
            values, reasons = parse_integers(raw)
            flag(reasons.notna().to_numpy(), col.name, raw, reasons)
            converted[col.name] = values
        elif col.kind in ("float", "float32"):
            values = pd.to_numeric(raw, errors="coerce")
            unparseable = values.isna().to_numpy() & ~empty
            flag(unparseable, col.name, raw, f"not a number ({col.kind})")
            converted[col.name] = values
        elif col.kind == "bool":
            converted[col.name] = raw.astype("boolean")
        else:
            converted[col.name] = raw.astype("string")
        for sentinel in col.sentinels:
            hit = (converted[col.name] == sentinel).fillna(False).to_numpy(bool)
            flag(hit, col.name, raw, f"sentinel {sentinel:g}: the source has no measurement")
        if not col.nullable:
            flag(empty, col.name, raw, "empty value in a required column")

    if spec.key:
        dup = key_values.duplicated(keep="first").to_numpy()
        flag(dup, spec.key, table[spec.key], f"duplicate {spec.key}")

    out = pd.DataFrame(converted)
    if spec.keep_extra:
        extra = [c for c in table.columns if c not in spec.column_index and c != LINE]
        out = pd.concat([out, table[extra]], axis=1)
    if keep_lines:
        out[LINE] = lines
    out = out.loc[~bad].reset_index(drop=True)
    for col in spec.columns:
        dtype = KINDS[col.kind]
        if col.kind == "int" and col.nullable:
            dtype = "Int64"
        out[col.name] = out[col.name].astype(dtype)
    return out, quarantine_frame(problems)


def read_csv(path: str | Path, spec: TableSpec) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read a CSV (optionally .gz) source file and :func:`conform` it to ``spec``.

    Every value is read as text first, so nothing is silently mis-typed; lines with the wrong
    number of fields go to the quarantine report with their line number (pandas' C parser
    would silently cut such a line to the selected columns). The rows returned carry their
    file line in :data:`LINE`.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found (needed for the {spec.name} table)")
    broken: list[dict] = []

    def on_invalid_row(row: pacsv.InvalidRow) -> str:
        broken.append(
            quarantine_record(
                path,
                "wrong number of fields",
                row=row.number if row.number > 0 else None,
                id=row.text.split(",", 1)[0],
                value=row.text[:200],
            )
        )
        return "skip"

    header = read_header(path)
    missing_columns(header, spec, path)
    wanted = header if spec.keep_extra else [name for name in header if name in spec.column_index]
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(use_threads=False),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid_row),
            convert_options=pacsv.ConvertOptions(
                include_columns=wanted,
                column_types={name: pa.string() for name in wanted},
                null_values=[""],
                strings_can_be_null=True,
            ),
        ).to_pandas()
    except (pa.ArrowInvalid, OSError, EOFError) as err:
        raise InputError(f"{path}: cannot be read as CSV ({err})") from err
    skipped = {record["row"] for record in broken if record["row"] is not None}
    table[LINE] = _lines_of_kept_rows(len(table), skipped)
    good, quarantine = conform(table, spec, path, keep_lines=True)
    if broken:
        quarantine = pd.concat([quarantine_frame(broken), quarantine], ignore_index=True)
    return good, quarantine


def read_header(path: str | Path) -> list[str]:
    """The column names of a CSV (optionally .gz) file; unreadable files raise InputError."""
    try:
        reader = pacsv.open_csv(
            path, parse_options=pacsv.ParseOptions(invalid_row_handler=lambda row: "skip")
        )
    except (pa.ArrowInvalid, OSError, EOFError) as err:
        raise InputError(f"{path}: cannot be read as CSV ({err})") from err
    return reader.schema.names


def read_integer_column(path: str | Path, column: str, table: str) -> pd.Series:
    """One integer column (an id) of a CSV file, read exactly; a missing column names the
    closest one and values that are not exact integers raise naming their line."""
    spec = TableSpec(name=table, columns=(Column(column, "int"),))
    good, quarantine = read_csv(path, spec)
    unusable = quarantine[~quarantine["reason"].str.startswith("duplicate")]
    if len(unusable):
        first = unusable.iloc[0]
        raise InputError(
            f"{path}: line {first['row']}, column {column}: {first['value']!r} is not usable "
            f"({first['reason']}); {len(unusable)} such line(s)"
        )
    return good[column]


def _lines_of_kept_rows(n_kept: int, skipped: set[int]) -> np.ndarray:
    """File lines (header = line 1) of the rows pyarrow kept, given the lines it skipped."""
    lines = np.arange(2, 2 + n_kept + len(skipped))
    return lines[~np.isin(lines, sorted(skipped))][:n_kept]


def _answer_columns(suffix: str, kind: str) -> tuple[Column, ...]:
    tree = load_tree()
    return tuple(Column(c, kind) for c in tree.gz2_columns(suffix))


# --- source files, in the real sources' formats -------------------------------------------

HOYLE = TableSpec(
    name="hoyle_barlengths",
    key="objid",
    description="Hoyle et al. (2011) bar lengths, one row per galaxy (3,150 in the real file).",
    columns=(
        Column("objid", "int", description="SDSS DR7 objid"),
        Column("ra", "float", "deg"),
        Column("dec", "float", "deg"),
        Column(
            "length_avg",
            "float",
            "kpc (h=0.7), labelled h^-1 kpc",
            description="mean full bar length",
        ),
        Column("length_stdev", "float", "kpc (h=0.7)"),
        Column("width_avg", "float", "kpc (h=0.7)"),
        Column("width_stdev", "float", "kpc (h=0.7)"),
        Column("length_scaled", "float", "see conventions.length_scaled"),
        Column("bar_meas", "int", description="number of volunteer measurements"),
    ),
)

KAGGLE_SOLUTIONS = TableSpec(
    name="training_solutions_rev1",
    key="GalaxyID",
    description="Kaggle Galaxy Challenge vote fractions: GalaxyID, 37 tree-weighted fractions.",
    columns=(Column("GalaxyID", "int"), *(Column(c, "float") for c in load_tree().kaggle_columns)),
)

GZ2_HART16 = TableSpec(
    name="gz2_hart16",
    key="dr7objid",
    description="GZ2 classifications (Hart et al. 2016): per-answer counts, fractions and flags. "
    "Only the columns gzxai reads: the real file has 231 (its class column is gz2_class, "
    "documented as gz2class), and weights, debiased fractions and flags are not used.",
    columns=(
        Column("dr7objid", "int"),
        Column("ra", "float", "deg"),
        Column("dec", "float", "deg"),
        Column("total_classifications", "int"),
        *_answer_columns("count", "int"),
        *_answer_columns("fraction", "float"),
    ),
)

GZ2SAMPLE = TableSpec(
    name="gz2sample",
    key="OBJID",
    keep_extra=False,
    description="GZ2 metadata (SDSS DR7 photometry and redshifts); only the columns gzxai uses.",
    columns=(
        Column("OBJID", "int"),
        Column("RA", "float", "deg"),
        Column("DEC", "float", "deg"),
        Column("PETROR50_R", "float", "arcsec"),
        Column("PETROR90_R", "float", "arcsec"),
        Column("PETROMAG_R", "float", "mag"),
        Column("REDSHIFT", "float", nullable=True),
        Column("PETROMAG_MR", "float", "mag", nullable=True),
        Column("PETROR50_R_KPC", "float", "kpc", nullable=True),
    ),
)

FILENAME_MAPPING = TableSpec(
    name="gz2_filename_mapping",
    description="GZ2 image names: objid -> asset_id (image images_gz2/images/<asset_id>.jpg).",
    columns=(Column("objid", "int"), Column("sample", "str"), Column("asset_id", "int")),
)

PHOTOMETRY = TableSpec(
    name="sdss_photometry",
    key="objid",
    description="SDSS DR7 PhotoObj columns for the resolution parameter alpha.",
    columns=(
        Column("objid", "int"),
        Column(
            "petroRad_r",
            "float",
            "arcsec",
            description="r-band Petrosian radius",
            sentinels=(-9999.0,),
        ),
        Column(
            "psfWidth_r", "float", "arcsec", description="r-band PSF FWHM", sentinels=(-9999.0,)
        ),
    ),
)

# --- canonical tables written by the catalogues stage ------------------------------------

KAGGLE_TABLE = TableSpec(
    name="kaggle",
    key="galaxy_id",
    description="results/catalogues/kaggle.parquet: one row per Kaggle image, labelled or not.",
    columns=(
        Column("galaxy_id", "int", description="Kaggle GalaxyID"),
        Column("image_path", "str", description="JPEG path relative to the source root"),
        Column("labelled", "bool", description="True for training_solutions rows"),
        *(Column(c, "float32", nullable=True) for c in load_tree().kaggle_columns),
    ),
)

GZ2_TABLE = TableSpec(
    name="gz2",
    key="dr7objid",
    description="results/catalogues/gz2.parquet: GZ2 galaxies with an image, photometry and votes.",
    columns=(
        Column("dr7objid", "int"),
        Column("asset_id", "int"),
        Column("image_path", "str", description="JPEG path relative to the source root"),
        Column("ra", "float", "deg"),
        Column("dec", "float", "deg"),
        Column("redshift", "float", nullable=True),
        Column("petro_r50_arcsec", "float", "arcsec"),
        Column("petro_r90_arcsec", "float", "arcsec"),
        Column("petro_r50_kpc", "float", "kpc", nullable=True),
        Column("abs_mag_r", "float", "mag", nullable=True),
        Column("petro_rad_arcsec", "float", "arcsec", nullable=True),
        Column("psf_fwhm_arcsec", "float", "arcsec", nullable=True),
        Column(
            "alpha",
            "float",
            description="resolution parameter, NaN without photometry",
            nullable=True,
        ),
        Column("total_classifications", "int"),
        *_answer_columns("count", "int"),
        *_answer_columns("fraction", "float"),
    ),
)

BARS_TABLE = TableSpec(
    name="bars",
    key="dr7objid",
    description="results/catalogues/bars.parquet: Hoyle bars joined to GZ2 images, sizes.",
    columns=(
        Column("dr7objid", "int"),
        Column("asset_id", "int"),
        Column("image_path", "str"),
        Column("redshift", "float", nullable=True),
        Column("petro_r90_arcsec", "float", "arcsec"),
        Column("bar_meas", "int"),
        Column("length_avg", "float", "as in the file"),
        Column("length_stdev", "float", "as in the file"),
        Column("length_scaled", "float"),
        Column("bar_length_arcsec", "float", "arcsec", description="from length_scaled"),
        Column("bar_length_gz2_px", "float", "pix", description="on the 424-px image"),
        Column("bar_length_catalogue", "float", "conventions.hoyle_length_units"),
    ),
)

TRUTH_TABLE = TableSpec(
    name="truth",
    key="dr7objid",
    keep_extra=True,
    description="results/sources/synthetic/truth.parquet: what real data never has "
    "(plus every render parameter, so any galaxy or component can be re-rendered).",
    columns=(
        Column("dr7objid", "int"),
        Column("kaggle_id", "int", description="-1 for galaxies not in the Kaggle set"),
        Column("asset_id", "int"),
        Column("in_kaggle", "bool", description="false beyond the Hoyle volume (GZ2 only)"),
        Column("kaggle_labelled", "bool"),
        Column("true_class", "str", description="smooth | disk | star"),
        Column("labelled_class", "str", description="class volunteers perceived after the bias"),
        Column("bias_flipped", "bool", description="disk perceived as smooth by the injected bias"),
        Column("alpha", "float"),
        Column("theta", "float", description="injected bias scale, alpha units"),
        Column("redshift", "float"),
        Column("petro_r90_arcsec", "float", "arcsec"),
        Column("petro_r90_kpc", "float", "kpc"),
        Column("psf_fwhm_arcsec", "float", "arcsec"),
        Column("pixel_scale_arcsec", "float", "arcsec/pix", description="0.02 × petroR90_r"),
        Column("sersic_n", "float", description="bulge (disks) or whole-galaxy (smooth) Sérsic n"),
        Column("bulge_fraction", "float"),
        Column("bar_fraction", "float"),
        Column("inclination_deg", "float", "deg"),
        Column("disk_pa_deg", "float", "deg"),
        Column("edge_on", "bool"),
        Column("has_bar", "bool"),
        Column("bar_half_length_kpc", "float", "kpc", nullable=True, description="intrinsic"),
        Column(
            "bar_half_length_px", "float", "pix", nullable=True, description="projected, 424 grid"
        ),
        Column("bar_half_length_arcsec", "float", "arcsec", nullable=True, description="projected"),
        Column("bar_half_length_proj_kpc", "float", "kpc", nullable=True, description="projected"),
        Column("bar_half_width_px", "float", "pix", nullable=True),
        Column(
            "bar_pa_deg", "float", "deg", nullable=True, description="projected, image x axis, CCW"
        ),
        Column("spiral_arms", "int", description="0 when none"),
        Column("abs_mag_r", "float", "mag"),
    ),
)

IMAGE_INDEX = TableSpec(
    name="image_index",
    key="id",
    description="results/catalogues/<table>.images.parquet: the table's galaxies whose image "
    "was read and resized, and the shard that holds it. Every stage that works on images "
    "takes its galaxies from here: an unreadable image is listed in <table>.unreadable.csv.",
    columns=(
        Column("id", "int", description="galaxy_id (kaggle) or dr7objid (gz2, bars)"),
        Column("shard", "int", description="k of results/images/<table>/shard-<k>.npz"),
    ),
)

#: Resized image shards: results/images/<dataset>/shard-<k>.npz
SHARD_ARRAYS = {
    "ids": "int64 (n,): galaxy_id (kaggle) or dr7objid (gz2, bars)",
    "images": "uint8 (n, size_px, size_px, 3): centre crop of crop_px, resized to size_px",
    "crop_px": "int64 scalar",
    "size_px": "int64 scalar",
}

SALIENCY_ARRAYS = {
    "ids": "int64 (n,): dr7objid of the bar-catalogue shard's galaxies (run 2: its test part)",
    "noise_levels": "float64 (L,): S_noise of each map stack",
    "maps": "float16 (L, n, size_px, size_px): SmoothGrad maps, min-max normalised per map",
}

MEASUREMENTS = TableSpec(
    name="measurements",
    description="results/bars/measurements/run-{run}/shard-{NNN}.parquet: one length per "
    "galaxy × method × run × noise × X_input × rule × T_c × T_l (gzxai.bars.measure).",
    columns=(
        Column("dr7objid", "int"),
        Column("method", "str", description="member name | mean_map | image | oracle"),
        Column("run", "int", description="SmoothGrad noise-seed repetition (1 or 2)"),
        Column("noise", "float", description="S_noise (0 for the references)"),
        Column("x_input", "bool", description="map multiplied by the input image"),
        Column("rule", "str", description="paper | rotation_invariant"),
        Column("t_corr", "float"),
        Column("t_len", "int", "pix"),
        Column("length_px", "float", "pix", description="on the map's grid (images.size_px)"),
    ),
)
