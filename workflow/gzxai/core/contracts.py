"""Data contracts: every table and array file that crosses a stage boundary, in one place.

A spec lists only the columns gzxai uses: a source file may carry more (and the real files
do; their documentation does not always spell their headers as the files do), and those
are ignored. How a spec is checked is :mod:`gzxai.core.validation`; where each source keeps
which file is :mod:`gzxai.core.layout`.
"""

from __future__ import annotations

from gzxai.core.trees import load_tree
from gzxai.core.validation import ArraySpec, Column, NpzSpec, TableSpec


def _answer_columns(suffix: str, kind: str) -> tuple[Column, ...]:
    tree = load_tree()
    return tuple(Column(c, kind) for c in tree.gz2_columns(suffix))


#: The synthetic truth's latent vote distribution: for each answer, the probability ρ that a
#: volunteer who reaches its task gives it (the draw the galaxy's counts are sampled from).
TRUTH_RHO_COLUMNS = tuple(f"rho_{stem}" for stem in load_tree().gz2_stems)


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
        *(
            Column(name, "float", description="latent vote probability of the answer")
            for name in TRUTH_RHO_COLUMNS
        ),
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

IMAGE_SHARD = NpzSpec(
    name="image shard",
    description="results/images/<dataset>/shard-<k>.npz: one shard of a table's images",
    arrays=(
        ArraySpec("ids", "int64", ("n",), "galaxy_id (kaggle) or dr7objid (gz2, bars)"),
        ArraySpec(
            "images", "uint8", ("n", "size_px", "size_px", 3),
            "centre crop of crop_px, resized to size_px",
        ),
        ArraySpec("crop_px", "int64", ()),
        ArraySpec("size_px", "int64", ()),
    ),
    unique="ids",
)  # fmt: skip

SALIENCY_MAPS = NpzSpec(
    name="saliency maps",
    description="results/saliency/<member>/run-<r>/noise-<s>/shard-<k>.npz",
    arrays=(
        ArraySpec("ids", "int64", ("n",), "dr7objid of the shard's galaxies (run 2: test part)"),
        ArraySpec("noise_levels", "float64", ("L",), "S_noise of each map stack"),
        ArraySpec(
            "maps", "float16", ("L", "n", "size_px", "size_px"),
            "SmoothGrad maps, min-max normalised per map",
        ),
    ),
    unique="ids",
)  # fmt: skip

VOTE_SAMPLES = NpzSpec(
    name="vote samples",
    description="results/votes/<model>/samples/shard-<k>.npz: a vote model's MC-dropout "
    "predictions for every galaxy of one GZ2 image shard",
    arrays=(
        ArraySpec("ids", "int64", ("n",), "dr7objid of the shard's galaxies"),
        ArraySpec(
            "samples", "float32", ("n", "outputs", "T"),
            "T passes, each with its own dropout mask and view: softmax (ρ̂, 1 − ρ̂) of a "
            "binomial model, or the 37 Dirichlet concentrations of the tree model",
        ),
        ArraySpec(
            "single", "float32", ("n", "outputs"),
            "the single network (dropout off) on the first pass's view: 'without MC'",
        ),
    ),
    unique="ids",
)  # fmt: skip

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

#: The canonical tables by name (the catalogue rule's {table}).
CANONICAL_TABLES = {"kaggle": KAGGLE_TABLE, "gz2": GZ2_TABLE, "bars": BARS_TABLE}
