import shutil

import numpy as np
import pandas as pd

from gzxai.core.layout import SourceLayout
from gzxai.core.trees import load_tree
from gzxai.core.units import HoyleLengthUnits, LengthScaled
from gzxai.sources import catalogues

from ..conftest import shared_file

BARS = dict(
    length_units=HoyleLengthUnits.PAPER, length_scaled=LengthScaled.PETRO_R90_FRACTION, hubble_h=0.7
)


def test_kaggle_table_holds_every_image_and_the_tree_sums(survey_root):
    built = catalogues.build_kaggle(SourceLayout(survey_root), tree_sum_tolerance=0.02)
    truth = pd.read_parquet(SourceLayout(survey_root).truth)
    assert len(built.table) == truth["in_kaggle"].sum() == 150
    assert built.table["labelled"].sum() == truth["kaggle_labelled"].sum()
    assert built.quarantine.empty
    assert built.summary["tree_sum_max_deviation_kept"] < 1e-5
    labelled = built.table[built.table["labelled"]]
    assert labelled[load_tree().kaggle_columns].notna().all().all()
    assert (SourceLayout(survey_root).root / built.table["image_path"].iloc[0]).is_file()


def test_kaggle_rows_that_break_the_tree_are_quarantined_with_reasons(survey_copy):
    path = survey_copy.kaggle_solutions
    table = pd.read_csv(path)
    table.loc[0, "Class1.3"] += 0.3  # Class1 now sums to 1.3 (star leads to no question)
    table.loc[1, "Class7.2"] += 0.01  # a small violation, within tolerance
    table.loc[2, "Class3.1"] = -0.2
    broken_id, small_id, negative_id = table["GalaxyID"].iloc[:3]
    table.to_csv(path, index=False)
    (survey_copy.kaggle_train_images / f"{table['GalaxyID'].iloc[3]}.jpg").unlink()

    built = catalogues.build_kaggle(survey_copy, tree_sum_tolerance=0.02)
    reasons = dict(zip(built.quarantine["id"].astype(int), built.quarantine["reason"], strict=True))
    assert reasons[int(broken_id)].startswith("tree sum: Class1 deviates by 0.3000")
    assert reasons[int(negative_id)] == "vote fraction outside [0, 1]"
    missing_id = table["GalaxyID"].iloc[3]
    assert reasons[int(missing_id)] == (
        f"image missing: expected kaggle/images_training_rev1/{missing_id}.jpg"
    )
    assert int(small_id) in built.table["galaxy_id"].to_numpy()
    assert built.summary["quarantine_reasons"] == {
        "tree sum": 1,
        "vote fraction outside [0, 1]": 1,
        "image missing": 1,
    }


def test_gz2_table_joins_votes_sizes_and_alpha(survey_root):
    layout = SourceLayout(survey_root)
    built = catalogues.build_gz2(layout)
    truth = pd.read_parquet(layout.truth).set_index("dr7objid")
    table = built.table.set_index("dr7objid")
    assert built.quarantine.empty
    assert len(table) == len(truth)
    np.testing.assert_allclose(table["alpha"], truth.loc[table.index, "alpha"], rtol=1e-3)
    np.testing.assert_allclose(
        table["petro_r90_arcsec"], truth.loc[table.index, "petro_r90_arcsec"], rtol=1e-4
    )
    counts = table[[c for c in table.columns if c.endswith("_count")]]
    assert (counts.to_numpy() >= 0).all()


def test_bars_table_joins_hoyle_to_images_and_sizes(survey_root):
    layout = SourceLayout(survey_root)
    built = catalogues.build_bars(layout, **BARS)
    hoyle = pd.read_csv(layout.hoyle)
    assert len(built.table) == len(hoyle) > 0
    truth = pd.read_parquet(layout.truth).set_index("dr7objid").loc[built.table["dr7objid"]]
    # The catalogue's pixel length is a noisy (17% per measurement) copy of the true 2L.
    ratio = built.table["bar_length_gz2_px"].to_numpy() / (
        2 * truth["bar_half_length_px"].to_numpy()
    )
    assert 0.9 < np.median(ratio) < 1.1
    np.testing.assert_allclose(
        built.table["bar_length_catalogue"], 0.7 * hoyle["length_avg"], rtol=1e-9
    )


def test_unknown_ids_and_duplicate_mappings_are_reported(survey_copy):
    hoyle = pd.read_csv(survey_copy.hoyle)
    hoyle.loc[0, "objid"] = 1234
    hoyle.to_csv(survey_copy.hoyle, index=False)
    mapping = pd.read_csv(survey_copy.gz2_mapping)
    duplicate = mapping.iloc[[5]].assign(asset_id=999_999)
    pd.concat([mapping, duplicate]).to_csv(survey_copy.gz2_mapping, index=False)

    built = catalogues.build_bars(survey_copy, **BARS)
    reasons = built.quarantine.set_index("id")["reason"]
    assert reasons["1234"] == "unknown id: objid not in gz2_filename_mapping.csv"
    assert (
        reasons[str(duplicate["objid"].iloc[0])]
        == "duplicate objid in mapping: first asset_id kept"
    )
    assert 1234 not in built.table["dr7objid"].to_numpy()
    assert len(built.table) == len(hoyle) - 1


def test_the_real_hoyle_catalogue_joins_through_stand_in_gz2_files(tmp_path):
    """The real join chain on the real catalogue: objid -> mapping -> asset -> image, and
    objid -> gz2sample -> PETROR90_R, with stand-ins for the GZ2 files we cannot ship."""
    hoyle = pd.read_csv(shared_file("hoyle_barlengths.csv"))
    layout = SourceLayout(tmp_path)
    layout.hoyle.parent.mkdir(parents=True)
    shutil.copy(shared_file("hoyle_barlengths.csv"), layout.hoyle)
    known = hoyle.iloc[2:]  # two real objids get no mapping row: they must be reported
    rng = np.random.default_rng(0)
    r90 = rng.uniform(8, 40, len(hoyle))
    layout.gz2_mapping.parent.mkdir(parents=True)
    pd.DataFrame(
        {"objid": known["objid"], "sample": "original", "asset_id": np.arange(len(known)) + 1}
    ).to_csv(layout.gz2_mapping, index=False)
    pd.DataFrame(
        {
            "OBJID": hoyle["objid"],
            "RA": hoyle["ra"],
            "DEC": hoyle["dec"],
            "PETROR50_R": r90 / 2.5,
            "PETROR90_R": r90,
            "PETROMAG_R": 16.0,
            "REDSHIFT": 0.04,
            "PETROMAG_MR": -21.0,
            "PETROR50_R_KPC": 3.0,
        }
    ).to_csv(layout.gz2sample, index=False)
    layout.gz2_images.mkdir(parents=True)
    for asset in range(1, len(known) + 1):
        (layout.gz2_images / f"{asset}.jpg").touch()

    built = catalogues.build_bars(layout, **BARS)
    assert len(built.table) == 3148
    assert sorted(built.quarantine["id"]) == sorted(hoyle["objid"].iloc[:2].astype(str))
    assert set(built.quarantine["reason"]) == {"unknown id: objid not in gz2_filename_mapping.csv"}
    table = built.table.set_index("dr7objid").loc[known["objid"]]
    np.testing.assert_allclose(table["bar_length_catalogue"], 0.7 * known["length_avg"].to_numpy())
    np.testing.assert_allclose(
        table["bar_length_arcsec"], known["length_scaled"].to_numpy() * r90[2:]
    )
    np.testing.assert_allclose(table["bar_length_gz2_px"], known["length_scaled"].to_numpy() / 0.02)
