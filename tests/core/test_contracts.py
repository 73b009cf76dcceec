import pandas as pd
import pytest

from gzxai.core import contracts as c
from gzxai.core import validation
from gzxai.core.errors import InputError

from ..conftest import shared_file


def write(tmp_path, text, name="table.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_the_real_hoyle_catalogue_parses_completely():
    table, quarantine = validation.read_csv(shared_file("hoyle_barlengths.csv"), c.HOYLE)
    assert len(table) == 3150
    assert quarantine.empty
    assert table["objid"].dtype == "int64"
    assert table["objid"].is_unique
    assert table["bar_meas"].min() >= 3
    assert (table["length_avg"] > 0).all()


def test_a_missing_column_names_the_file_and_the_column(tmp_path):
    path = write(tmp_path, "objid,ra\n1,2.0\n")
    with pytest.raises(InputError, match=r"table\.csv: missing column\(s\) dec, length_avg"):
        validation.read_csv(path, c.HOYLE)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(InputError, match=r"nope\.csv: file not found"):
        validation.read_csv(tmp_path / "nope.csv", c.PHOTOMETRY)


def test_bad_values_go_to_quarantine_with_their_line(tmp_path):
    path = write(
        tmp_path,
        "objid,petroRad_r,psfWidth_r\n"
        "1,3.0,1.4\n"
        "2,three,1.4\n"  # line 3: not a number
        "3,,1.4\n"  # line 4: empty required value
        "4.5,3.0,1.4\n"  # line 5: id not an integer
        "1,3.5,1.3\n",  # line 6: duplicate id
    )
    table, quarantine = validation.read_csv(path, c.PHOTOMETRY)
    assert table["objid"].tolist() == [1]
    reasons = dict(zip(quarantine["row"], quarantine["reason"], strict=True))
    assert reasons == {
        3: "not a number (float)",
        4: "empty value in a required column",
        5: "not an integer",
        6: "duplicate objid",
    }
    assert (quarantine["file"] == str(path)).all()


def test_a_broken_line_is_reported_not_dropped(tmp_path):
    path = write(tmp_path, "objid,petroRad_r,psfWidth_r\n1,3.0,1.4\n2,3.0,1.4,extra\n3,2.0,1.2\n")
    table, quarantine = validation.read_csv(path, c.PHOTOMETRY)
    assert table["objid"].tolist() == [1, 3]
    assert quarantine["reason"].tolist() == ["wrong number of fields"]
    assert quarantine["row"].tolist() == [3]
    assert quarantine["value"].iloc[0] == "2,3.0,1.4,extra"


def test_nullable_columns_accept_empty_values():
    frame = pd.DataFrame({"OBJID": ["1"], "RA": ["1"], "DEC": ["1"], "PETROR50_R": ["2"],
                          "PETROR90_R": ["5"], "PETROMAG_R": ["16"], "REDSHIFT": [None],
                          "PETROMAG_MR": [None], "PETROR50_R_KPC": [None]})  # fmt: skip
    table, quarantine = validation.conform(frame, c.GZ2SAMPLE, "inline")
    assert quarantine.empty
    assert table["REDSHIFT"].isna().all()
