"""Fetching against a real local HTTP server standing in for the remote sources."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import zipfile
from collections import namedtuple
from pathlib import Path

import pandas as pd
import pytest
import yaml

from gzxai.core.layout import SourceLayout
from gzxai.core.units import HoyleLengthUnits, LengthScaled
from gzxai.sources import archives, catalogues, errors, fetch, skyserver

from ..conftest import REPO, run_snakemake
from ..http_stand_in import StandIn

FETCH_RULES = (
    "fetch_kaggle",
    "fetch_file",
    "fetch_gz2sample",
    "fetch_gz2_images",
    "fetch_photometry",
)
FAST = fetch.RetryPolicy(attempts=3, backoff_seconds=0.01, timeout_seconds=10)


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def test_a_full_download_is_verified_and_renamed(server, tmp_path):
    data = os.urandom(3 * fetch.CHUNK + 17)
    server.files["/data.bin"] = data
    out = fetch.download(
        f"{server.url}/data.bin",
        tmp_path / "data.bin",
        md5=hashlib.md5(data).hexdigest(),
        retry=FAST,
        progress=False,
    )
    assert out.read_bytes() == data
    assert not (tmp_path / "data.bin.part").exists()


def test_an_interrupted_download_resumes_with_a_range_request(server, tmp_path):
    data = os.urandom(2 * fetch.CHUNK + 5)
    server.files["/big.zip"] = data
    server.drop_after["/big.zip"] = fetch.CHUNK + 3  # the link dies part-way through
    fetch.download(f"{server.url}/big.zip", tmp_path / "big.zip", retry=FAST, progress=False)
    assert (tmp_path / "big.zip").read_bytes() == data
    assert server.requests == [("/big.zip", None), ("/big.zip", f"bytes={fetch.CHUNK + 3}-")]


def test_a_checksum_mismatch_removes_the_file_and_names_both_sums(server, tmp_path):
    server.files["/x.csv"] = b"a,b\n1,2\n"
    actual = hashlib.md5(b"a,b\n1,2\n").hexdigest()
    with pytest.raises(
        errors.ChecksumError, match=f"md5 {actual} does not match the expected {'0' * 32}"
    ):
        fetch.download(
            f"{server.url}/x.csv", tmp_path / "x.csv", md5="0" * 32, retry=FAST, progress=False
        )
    assert list(tmp_path.iterdir()) == []


def test_a_missing_file_fails_at_once_with_its_url(server, tmp_path):
    with pytest.raises(errors.FetchError, match=r"nope\.csv: HTTP 404"):
        fetch.download(f"{server.url}/nope.csv", tmp_path / "nope.csv", retry=FAST, progress=False)
    assert server.requests == [("/nope.csv", None)]


def test_zip_slip_members_are_refused_before_anything_is_written(tmp_path):
    archive = tmp_path / "evil.zip"
    archive.write_bytes(zip_bytes({"good.txt": b"ok", "../evil.txt": b"gotcha"}))
    with pytest.raises(errors.UnsafeArchiveError, match=r"refusing member '\.\./evil\.txt'"):
        archives.safe_extract(archive, tmp_path / "out", progress=False)
    assert not (tmp_path / "evil.txt").exists()
    assert not (tmp_path / "out" / "good.txt").exists()
    absolute = tmp_path / "abs.zip"
    absolute.write_bytes(zip_bytes({"/etc/passwd": b"x"}))
    with pytest.raises(errors.UnsafeArchiveError):
        archives.safe_extract(absolute, tmp_path / "out2", progress=False)


def test_nested_zips_are_unpacked_and_macos_junk_skipped(tmp_path):
    inner = zip_bytes(
        {"images_training_rev1/1.jpg": b"jpeg", "__MACOSX/images_training_rev1/._1.jpg": b"junk"}
    )
    outer = zip_bytes(
        {
            "images_training_rev1.zip": inner,
            "training_solutions_rev1.zip": zip_bytes(
                {"training_solutions_rev1.csv": b"GalaxyID\n1\n"}
            ),
            "._stray": b"junk",
        }
    )
    archive = tmp_path / "competition.zip"
    archive.write_bytes(outer)
    written = archives.safe_extract(archive, tmp_path / "kaggle", progress=False)
    names = sorted(str(p.relative_to(tmp_path / "kaggle")) for p in written)
    assert names == ["images_training_rev1/1.jpg", "training_solutions_rev1.csv"]
    assert sorted(p.name for p in (tmp_path / "kaggle").iterdir()) == [
        "images_training_rev1",
        "training_solutions_rev1.csv",
    ]


def test_extraction_checks_the_free_disk_space_first(tmp_path):
    archive = tmp_path / "big.zip"
    archive.write_bytes(zip_bytes({"a.bin": b"0" * 10_000}))
    usage = namedtuple("usage", "total used free")

    with pytest.raises(errors.FetchError, match=r"needs 0\.00 GB but .* has 0\.00 GB free"):
        archives.safe_extract(
            archive, tmp_path / "out", disk_usage=lambda _: usage(1, 1, 100), progress=False
        )
    assert not (tmp_path / "out" / "a.bin").exists()


class FakeKaggle:
    """Stand-in for the Kaggle API at the boundary (kaggle.api.KaggleApi)."""

    def __init__(self, error: Exception | None = None, archive: bytes | None = None):
        self.error, self.archive, self.calls = error, archive, []

    def authenticate(self) -> None:
        self.calls.append("authenticate")

    def competition_download_files(self, competition: str, path: str, quiet: bool) -> None:
        self.calls.append(competition)
        if self.error:
            raise self.error
        Path(path, f"{competition}.zip").write_bytes(self.archive)


@pytest.fixture
def no_credentials(monkeypatch, tmp_path):
    monkeypatch.delenv("KAGGLE_USERNAME", raising=False)
    monkeypatch.delenv("KAGGLE_KEY", raising=False)
    monkeypatch.setattr(Path, "home", lambda: tmp_path / "home")


def test_missing_kaggle_credentials_say_what_to_do(no_credentials, tmp_path):
    with pytest.raises(
        errors.FetchError, match=r"kaggle\.json with mode 600, or set KAGGLE_USERNAME"
    ):
        fetch.fetch_kaggle(
            "galaxy-zoo-the-galaxy-challenge", tmp_path, tmp_path, api_factory=FakeKaggle
        )


def test_a_403_says_to_accept_the_rules_and_never_shows_the_key(monkeypatch, tmp_path, caplog):
    monkeypatch.setenv("KAGGLE_USERNAME", "astronomer")
    monkeypatch.setenv("KAGGLE_KEY", "s3cr3t-kaggle-key")
    api = FakeKaggle(error=RuntimeError("(403) Forbidden for astronomer:s3cr3t-kaggle-key"))
    with pytest.raises(errors.FetchError) as raised:
        fetch.fetch_kaggle(
            "galaxy-zoo-the-galaxy-challenge", tmp_path, tmp_path, api_factory=lambda: api
        )
    assert "accept the competition rules" in str(raised.value)
    assert "competitions/galaxy-zoo-the-galaxy-challenge/rules" in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__context__ is not None
    other = FakeKaggle(error=RuntimeError("boom s3cr3t-kaggle-key"))
    with pytest.raises(errors.FetchError) as raised:
        fetch.fetch_kaggle("c", tmp_path, tmp_path, api_factory=lambda: other)
    assert "s3cr3t" not in str(raised.value) and "***" in str(raised.value)
    assert "s3cr3t" not in caplog.text


def test_a_kaggle_download_is_unpacked_into_the_layout(monkeypatch, tmp_path):
    home = tmp_path / "home"
    (home / ".kaggle").mkdir(parents=True)
    (home / ".kaggle" / "kaggle.json").write_text(json.dumps({"username": "u", "key": "k"}))
    monkeypatch.delenv("KAGGLE_USERNAME", raising=False)
    monkeypatch.delenv("KAGGLE_KEY", raising=False)
    monkeypatch.setattr(Path, "home", lambda: home)
    archive = zip_bytes(
        {
            "training_solutions_rev1.zip": zip_bytes(
                {"training_solutions_rev1.csv": b"GalaxyID\n"}
            ),
            "images_test_rev1.zip": zip_bytes({"images_test_rev1/5.jpg": b"j"}),
        }
    )
    api = FakeKaggle(archive=archive)
    fetch.fetch_kaggle(
        "comp", tmp_path / "dl", tmp_path / "kaggle", api_factory=lambda: api, progress=False
    )
    assert api.calls == ["authenticate", "comp"]
    assert (tmp_path / "kaggle" / "training_solutions_rev1.csv").is_file()
    assert (tmp_path / "kaggle" / "images_test_rev1" / "5.jpg").is_file()


def test_photometry_is_queried_in_batches_and_resumes_from_the_cache(server, tmp_path):
    server.photometry = pd.DataFrame(
        {"objid": range(1_000_000, 1_000_010), "petroRad_r": 5.0, "psfWidth_r": 1.4}
    )
    ids = list(range(1_000_000, 1_000_012))  # the last two are unknown to the server
    batches = tmp_path / "batches"

    def fetch_all() -> dict:
        return skyserver.fetch_photometry(
            ids, f"{server.url}/sql", batches, tmp_path / "photometry.csv",
            batch_size=5, retry=FAST, progress=False,
        )  # fmt: skip

    summary = fetch_all()
    assert summary == {
        "requested": 12,
        "returned": 10,
        "missing": 2,
        "batches": 3,
        "queried_now": 3,
    }
    assert pd.read_csv(tmp_path / "photometry.csv")["objid"].tolist() == list(
        range(1_000_000, 1_000_010)
    )
    sorted(batches.iterdir())[-1].unlink()  # as if killed before the last batch
    again = fetch_all()
    assert again["queried_now"] == 1
    assert server.sql_queries == 4


def pack_like_the_real_archives(layout: SourceLayout, stand_in: StandIn) -> dict[str, str]:
    """Serve a synthetic survey as the real sources publish it; return the fetch config."""

    def folder(directory: Path, prefix: str, junk: bool = False) -> dict[str, bytes]:
        members = {f"{prefix}/{p.name}": p.read_bytes() for p in directory.glob("*.jpg")}
        if junk:
            members.update(
                {
                    f"__MACOSX/{prefix}/._{p.name}": b"\x00"
                    for p in list(directory.glob("*.jpg"))[:3]
                }
            )
        return members

    kaggle = zip_bytes(
        {
            "training_solutions_rev1.zip": zip_bytes(
                {"training_solutions_rev1.csv": layout.kaggle_solutions.read_bytes()}
            ),
            "images_training_rev1.zip": zip_bytes(
                folder(layout.kaggle_train_images, "images_training_rev1")
            ),
            "images_test_rev1.zip": zip_bytes(
                folder(layout.kaggle_test_images, "images_test_rev1")
            ),
            "all_zeros_benchmark.zip": zip_bytes({"all_zeros_benchmark.csv": b"GalaxyID\n"}),
        }
    )
    images = zip_bytes(folder(layout.gz2_images, "images_gz2/images", junk=True))
    stand_in.files.update(
        {
            "/kaggle.zip": kaggle,
            "/gz2_hart16.csv.gz": layout.gz2_hart16.read_bytes(),
            "/gz2sample.csv.gz": gzip.compress(layout.gz2sample.read_bytes()),
            "/gz2_filename_mapping.csv": layout.gz2_mapping.read_bytes(),
            "/images_gz2.zip": images,
            "/hoyle_barlengths.csv": layout.hoyle.read_bytes(),
        }
    )
    stand_in.photometry = pd.read_csv(layout.photometry)
    url = stand_in.url
    return {
        "retries": 2,
        "backoff_seconds": 0.01,
        "timeout_seconds": 30,
        "checksums": {"images_gz2.zip": hashlib.md5(images).hexdigest()},
        "kaggle_mirror_url": f"{url}/kaggle.zip",
        "gz2_hart16_url": f"{url}/gz2_hart16.csv.gz",
        "gz2sample_url": f"{url}/gz2sample.csv.gz",
        "gz2_mapping_url": f"{url}/gz2_filename_mapping.csv",
        "gz2_images_url": f"{url}/images_gz2.zip",
        "hoyle_url": f"{url}/hoyle_barlengths.csv",
        "sdss_sql_url": f"{url}/sql",
        "sdss_batch_size": 40,
    }


@pytest.mark.e2e
def test_the_real_config_fetches_everything_and_builds_the_tables(survey_root, server, tmp_path):
    layout = SourceLayout(survey_root)
    overrides = {"source": "real", "fetch": pack_like_the_real_archives(layout, server)}
    (tmp_path / "real.yaml").write_text(yaml.safe_dump(overrides))
    targets = [f"results/catalogues/{name}.parquet" for name in ("kaggle", "gz2", "bars")]
    run = run_snakemake(tmp_path, *targets, configfiles=[tmp_path / "real.yaml"])
    assert run.returncode == 0, run.stdout[-4000:]
    for rule in FETCH_RULES:
        assert f"localrule {rule}:" in run.stdout
    fetched = SourceLayout(tmp_path / "results" / "sources" / "real")
    assert not list(fetched.gz2_images.glob("._*"))
    expected = {
        "kaggle": catalogues.build_kaggle(layout, tree_sum_tolerance=0.02).table,
        "gz2": catalogues.build_gz2(layout).table,
        "bars": catalogues.build_bars(
            layout,
            length_units=HoyleLengthUnits.PAPER,
            length_scaled=LengthScaled.PETRO_R90_FRACTION,
            hubble_h=0.7,
        ).table,
    }
    for name, table in expected.items():
        built = pd.read_parquet(tmp_path / "results" / "catalogues" / f"{name}.parquet")
        pd.testing.assert_frame_equal(built, table, check_dtype=False)


def test_the_paper_config_plans_the_whole_real_dag_from_fetch_on(tmp_path):
    run = run_snakemake(tmp_path, "-n", configfiles=[REPO / "config" / "paper.yaml"])
    assert run.returncode == 0, run.stdout[-3000:]
    for rule in (
        *FETCH_RULES,
        "catalogue",
        "resize",
        "train",
        "predict",
        "ensemble",
    ):
        assert f"rule {rule}:" in run.stdout, rule
    assert "synthesize" not in run.stdout
