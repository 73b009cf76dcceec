"""Faults a user meets on the real path, injected on purpose: real headers, placed files,
corrupt images, kills, full disks, float-mangled ids, damaged files and archives, and
credentials in URLs. Every file is made in the test."""

from __future__ import annotations

import gzip
import io
import json
import logging
import os
import shutil
import signal
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from gzxai.core import arrays, validation
from gzxai.core import contracts as c
from gzxai.core.errors import InputError
from gzxai.core.io import current_umask, write_csv
from gzxai.core.layout import SourceLayout
from gzxai.core.redact import redact
from gzxai.sources import archives, catalogues, errors, fetch, skyserver

from .conftest import REPO, TINY_CONFIG, real_gz2_hart16_header, run_snakemake

# --- 1. the real GZ2 header ------------------------------------------------------------


def write_gz2_table(path: Path, table: pd.DataFrame) -> None:
    with gzip.open(path, "wt") as handle:
        table.to_csv(handle, index=False)


def test_a_table_with_the_real_gz2_header_loads(survey_copy):
    votes = pd.read_csv(survey_copy.gz2_hart16, dtype=str)
    header = real_gz2_hart16_header()
    assert "gz2_class" in header and "gz2class" not in header
    write_gz2_table(survey_copy.gz2_hart16, votes.reindex(columns=header).fillna("0"))
    built = catalogues.build_gz2(survey_copy)
    assert built.summary["kept"] == len(votes)
    assert built.quarantine.empty


def test_a_missing_column_names_the_closest_header_of_the_real_file(survey_copy):
    votes = pd.read_csv(survey_copy.gz2_hart16, dtype=str)
    header = real_gz2_hart16_header()
    renamed = votes.reindex(columns=header).rename(
        columns={"total_classifications": "total_classification", "dr7objid": "objid"}
    )
    write_gz2_table(survey_copy.gz2_hart16, renamed)
    with pytest.raises(InputError) as caught:
        catalogues.build_gz2(survey_copy)
    message = str(caught.value)
    assert "gz2_hart16.csv.gz: missing column(s) dr7objid (closest in the file: objid)" in message
    assert "total_classifications (closest in the file: total_classification)" in message
    assert "the file has 231 columns" in message


# --- 2. files a user placed are never removed or replaced ----------------------------


def placed_files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "truth.parquet"
    }


def real_run(workdir: Path, root: Path, *args: str, **overrides):
    config = workdir / "real.yaml"
    config.write_text(
        yaml.safe_dump({"source": "real", "sources": {"root": str(root)}, **overrides})
    )
    return run_snakemake(workdir, *args, configfiles=[TINY_CONFIG, config])


@pytest.mark.e2e
def test_editing_any_placed_file_never_removes_or_refetches_another(survey_root, tmp_path):
    root = tmp_path / "placed"
    shutil.copytree(survey_root, root)
    (root / "truth.parquet").unlink()
    tables = [f"results/catalogues/{name}.parquet" for name in ("kaggle", "gz2", "bars")]
    work = tmp_path / "work"
    work.mkdir()
    assert real_run(work, root, *tables).returncode == 0
    layout = SourceLayout(root)
    # Edit every upstream file: new content where it stays valid, a newer time everywhere.
    hoyle = pd.read_csv(layout.hoyle)
    hoyle.iloc[:-1].to_csv(layout.hoyle, index=False)
    votes = pd.read_csv(layout.gz2_hart16)
    write_gz2_table(layout.gz2_hart16, votes.iloc[:-1])
    now = time.time()  # newer than every output of the first run
    for path in root.rglob("*"):
        os.utime(path, (now, now))
    before = placed_files(root)
    for endpoint in ("sdss_sql_url", "gz2_images_url", "hoyle_url"):
        plan = real_run(work, root, "-n", *tables, fetch={endpoint: "http://127.0.0.1:9/x"})
        assert plan.returncode == 0, plan.stdout[-2000:]
        assert "rule fetch_" not in plan.stdout
    run = real_run(work, root, *tables)
    assert run.returncode == 0, run.stdout[-3000:]
    assert "rule fetch_" not in run.stdout
    assert placed_files(root) == before


def test_a_partly_placed_download_is_refused_naming_both_halves(survey_root, tmp_path):
    root = tmp_path / "placed"
    root.mkdir()
    layout = SourceLayout(root)
    layout.kaggle_solutions.parent.mkdir(parents=True)
    shutil.copy(SourceLayout(survey_root).kaggle_solutions, layout.kaggle_solutions)
    run = real_run(tmp_path, root, "-n")
    assert run.returncode != 0
    assert f"{layout.kaggle_solutions} in place but {layout.kaggle_train_images}" in run.stdout
    assert layout.kaggle_solutions.read_bytes() == (
        SourceLayout(survey_root).kaggle_solutions.read_bytes()
    )


# --- 3. unreadable images flow on as data -------------------------------------------


def corrupt_one_image_per_set(layout: SourceLayout) -> dict[str, int]:
    """Truncate a labelled Kaggle image and a bar galaxy's GZ2 image; overwrite a Kaggle test
    image with bytes that are no JPEG. Returns the ids hit."""
    labelled = int(pd.read_csv(layout.kaggle_solutions)["GalaxyID"].iloc[0])
    unlabelled = int(sorted(layout.kaggle_test_images.glob("*.jpg"))[0].stem)
    bar = int(pd.read_csv(layout.hoyle)["objid"].iloc[0])
    mapping = pd.read_csv(layout.gz2_mapping).set_index("objid")["asset_id"]
    for path in (
        layout.kaggle_train_images / f"{labelled}.jpg",
        layout.gz2_images / f"{mapping.loc[bar]}.jpg",
    ):
        path.write_bytes(path.read_bytes()[:400])
    (layout.kaggle_test_images / f"{unlabelled}.jpg").write_bytes(b"not a JPEG at all")
    return {"labelled": labelled, "unlabelled": unlabelled, "bar": bar}


@pytest.fixture(scope="module")
def faulted_run(tmp_path_factory):
    """The tiny DAG with one corrupt image per image set, Snakemake's keep-going off."""
    workdir = tmp_path_factory.mktemp("faulted")
    first = run_snakemake(workdir, "results/sources/synthetic.summary.json",
                          configfiles=[TINY_CONFIG])  # fmt: skip
    assert first.returncode == 0, first.stdout[-3000:]
    hit = corrupt_one_image_per_set(SourceLayout(workdir / "results" / "sources" / "synthetic"))
    # profiles/default has keep-going off: the first failing job would stop the run.
    run = run_snakemake(workdir, configfiles=[TINY_CONFIG], timeout=1200)
    assert run.returncode == 0, run.stdout[-4000:]
    return workdir / "results", hit


@pytest.mark.e2e
def test_a_corrupt_image_per_set_is_named_in_the_summaries_and_left_out_of_every_split(
    faulted_run,
):
    results, hit = faulted_run
    kaggle = json.loads((results / "catalogues" / "kaggle.summary.json").read_text())
    named = {int(entry["id"]) for entry in kaggle["unreadable_images"]}
    assert named == {hit["labelled"], hit["unlabelled"]}
    assert kaggle["images_unreadable"] == 2
    table = pd.read_parquet(results / "catalogues" / "kaggle.parquet")
    assert kaggle["labelled_kept"] == table["labelled"].sum() - 1
    assert kaggle["quarantine_reasons"]["unreadable image"] == 2
    for name in ("gz2", "bars"):
        summary = json.loads((results / "catalogues" / f"{name}.summary.json").read_text())
        assert [int(e["id"]) for e in summary["unreadable_images"]] == [hit["bar"]]
        assert (
            summary["kept"] == len(pd.read_parquet(results / "catalogues" / f"{name}.parquet")) - 1
        )
    splits = pd.read_parquet(results / "splits" / "members.parquet")
    assert hit["labelled"] not in splits["galaxy_id"].to_numpy()
    for name in ("classifiers", "direct"):
        split = pd.read_parquet(results / "splits" / f"{name}.parquet")
        assert hit["bar"] not in split["dr7objid"].to_numpy()
    assert hit["bar"] in pd.read_parquet(results / "splits" / "bars.parquet")["dr7objid"].to_numpy()
    submission = pd.read_csv(results / "ensemble" / "kaggle_submission.csv")
    assert hit["unlabelled"] not in submission["GalaxyID"].to_numpy()
    assert len(submission) == (~table["labelled"]).sum() - 1
    bars = json.loads((results / "bars" / "summary.json").read_text())
    assert bars["without_readable_image"]["dr7objids"] == [hit["bar"]]
    catalogue = pd.read_parquet(results / "catalogues" / "bars.parquet")
    assert bars["n_validation"] + bars["n_test"] == len(catalogue) - 1
    direct = pd.read_parquet(results / "direct" / "predictions.parquet")
    assert hit["bar"] not in direct["dr7objid"].to_numpy()
    assert (results / "bias" / "summary.json").is_file()
    assert (results / "ensemble" / "table1.csv").is_file()


@pytest.mark.e2e
def test_the_report_lists_the_unreadable_images(faulted_run):
    results, hit = faulted_run
    report = results / "report.html"
    run = run_snakemake(results.parent, "--report", str(report), configfiles=[TINY_CONFIG])
    assert run.returncode == 0, run.stdout[-2000:]
    html = report.read_text()
    for name in ("kaggle", "gz2", "bars"):
        assert f"{name}.unreadable.csv" in html
    assert "could not be read" in html  # the caption
    unreadable = pd.read_csv(results / "catalogues" / "kaggle.unreadable.csv")
    assert set(unreadable["id"]) == {hit["labelled"], hit["unlabelled"]}
    assert unreadable["reason"].str.contains("unreadable image").all()


# --- 4 and 5. resume: only from a matching checkpoint, and exactly ------------------------


def training_inputs(folder: Path) -> dict[str, str]:
    """A labelled Kaggle-like table, its split and two shards of 16-px images."""
    rng = np.random.default_rng(0)
    ids = np.arange(5000, 5096)
    columns = c.KAGGLE_TABLE.names[3:]
    table = pd.DataFrame(rng.uniform(size=(len(ids), len(columns))), columns=columns)
    table.insert(0, "galaxy_id", ids)
    table.insert(1, "image_path", "x.jpg")
    table.insert(2, "labelled", True)
    folder.mkdir(parents=True, exist_ok=True)
    table.to_parquet(folder / "kaggle.parquet")
    pd.DataFrame({"galaxy_id": ids, "split": np.where(ids % 4 == 0, "val", "train")}).to_parquet(
        folder / "split.parquet"
    )
    pixels = rng.integers(0, 255, (len(ids), 16, 16, 3), dtype=np.uint8)
    shards = []
    for k, rows in enumerate(np.array_split(np.arange(len(ids)), 2)):
        shards.append(str(folder / f"shard-{k:03d}.npz"))
        np.savez(shards[-1], ids=ids[rows], images=pixels[rows], crop_px=16, size_px=16)
    return {"table": str(folder / "kaggle.parquet"), "split": str(folder / "split.parquet"),
            "shards": shards}  # fmt: skip


TRAIN_PARAMS = {
    "model": {"architecture": "vgg_compact", "head_units": [8], "width": 4},
    "training": {
        "batch_size": 8, "max_epochs": 6, "learning_rate": 1e-3, "loss": "rmse",
        "reduce_lr": {"factor": 0.5, "patience": 1}, "early_stopping": {"patience": 3},
        "shuffle_buffer": 32,
        "augment": {"rotation": True, "flips": True, "shift_fraction": 0.05,
                    "brightness_range": [0.7, 1.3], "gaussian_noise": 0.0},
    },
    "seed": 11,
    "image_size": 16,
}  # fmt: skip


def train_command(inputs: dict, out: Path) -> list[str]:
    return [
        sys.executable, "-m", "gzxai", "-q", "train", "--params", json.dumps(TRAIN_PARAMS),
        "--table", inputs["table"], "--split", inputs["split"], "--shards", *inputs["shards"],
        "--work-dir", str(out / "work"), "--model", str(out / "model.keras"),
        "--history", str(out / "history.csv"), "--summary", str(out / "training.json"),
        "--threads", "2",
    ]  # fmt: skip


def job_environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO / "workflow"), "TF_CPP_MIN_LOG_LEVEL": "2"}


def predictions_of(out: Path, inputs: dict) -> bytes:
    path = out / "predictions.parquet"
    subprocess.run(
        [sys.executable, "-m", "gzxai", "predict", "--model", str(out / "model.keras"),
         "--shards", *inputs["shards"], "--out", str(path)],
        check=True, env=job_environment(), capture_output=True,
    )  # fmt: skip
    return pd.read_parquet(path).to_csv(index=False).encode()


@pytest.mark.e2e
def test_a_sigkilled_training_job_resumes_to_the_bytes_of_an_uninterrupted_one(tmp_path):
    inputs = training_inputs(tmp_path / "inputs")
    whole = tmp_path / "whole"
    subprocess.run(train_command(inputs, whole), check=True, env=job_environment(),
                   capture_output=True)  # fmt: skip

    killed = tmp_path / "killed"
    job = subprocess.Popen(train_command(inputs, killed), env=job_environment(),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    state = killed / "work" / "checkpoint" / "state.json"
    deadline = time.time() + 300
    while time.time() < deadline and job.poll() is None:
        if state.is_file() and json.loads(state.read_text() or "{}").get("epoch", -1) >= 1:
            break
        time.sleep(0.02)
    assert job.poll() is None, "the job finished before it could be killed"
    job.send_signal(signal.SIGKILL)
    job.wait()
    assert not (killed / "model.keras").exists()
    resumed = subprocess.run(train_command(inputs, killed), env=job_environment(),
                             capture_output=True, text=True)  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resuming after epoch" in resumed.stderr
    assert json.loads((killed / "training.json").read_text())["resumed"] is True
    assert (killed / "history.csv").read_bytes() == (whole / "history.csv").read_bytes()
    assert predictions_of(killed, inputs) == predictions_of(whole, inputs)


# --- 6. ids and rows ---------------------------------------------------------------------


def write(tmp_path: Path, text: str, name: str = "photometry.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_18_digit_ids_written_as_floats_are_read_exactly_or_reported(tmp_path):
    path = write(
        tmp_path,
        "objid,petroRad_r,psfWidth_r\n"
        "587732591714893851.0,3.0,1.4\n"
        "5.87732591714893852e+17,3.0,1.4\n"
        "5.877325917148938e+17,3.0,1.4\n"
        "587732591714893854,3.0,1.4\n",
    )
    table, quarantine = validation.read_csv(path, c.PHOTOMETRY)
    assert table["objid"].tolist() == [587732591714893851, 587732591714893852,
                                        587732591714893854]  # fmt: skip
    assert quarantine["row"].tolist() == [4]
    assert quarantine["column"].tolist() == ["objid"]
    assert "digits lost" in quarantine["reason"].iloc[0]


def test_lines_stay_right_after_a_line_with_the_wrong_field_count(tmp_path):
    path = write(
        tmp_path,
        "objid,petroRad_r,psfWidth_r\n1,3.0,1.4\n2,3.0,1.4,extra\n3,x,1.2\n4,2.0,1.2\n",
    )
    _, quarantine = validation.read_csv(path, c.PHOTOMETRY)
    rows = dict(zip(quarantine["reason"], quarantine["row"], strict=True))
    assert rows == {"wrong number of fields": 3, "not a number (float)": 4}


def test_the_sdss_sentinel_is_not_photometry(tmp_path):
    path = write(tmp_path, "objid,petroRad_r,psfWidth_r\n1,3.0,1.4\n2,-9999,1.4\n3,2.0,-9999.0\n")
    table, quarantine = validation.read_csv(path, c.PHOTOMETRY)
    assert table["objid"].tolist() == [1]
    assert quarantine["row"].tolist() == [3, 4]
    assert quarantine["column"].tolist() == ["petroRad_r", "psfWidth_r"]
    assert quarantine["reason"].str.startswith("sentinel -9999").all()


def test_tree_sum_range_and_image_entries_carry_line_column_and_expected_file(survey_copy):
    table = pd.read_csv(survey_copy.kaggle_solutions)
    table.loc[0, "Class1.3"] += 0.3  # star leads to no question: only Class1 breaks
    table.loc[2, "Class3.1"] = -0.2
    table.to_csv(survey_copy.kaggle_solutions, index=False)
    missing = int(table["GalaxyID"].iloc[3])
    (survey_copy.kaggle_train_images / f"{missing}.jpg").unlink()
    report = catalogues.build_kaggle(survey_copy, tree_sum_tolerance=0.02).quarantine
    by_id = report.set_index(report["id"].astype(int))
    tree = by_id.loc[int(table["GalaxyID"].iloc[0])]
    assert (tree["row"], tree["column"]) == (2, "Class1.1,Class1.2,Class1.3")
    negative = by_id.loc[int(table["GalaxyID"].iloc[2])]
    assert (negative["row"], negative["column"], float(negative["value"])) == (4, "Class3.1", -0.2)
    image = by_id.loc[missing]
    assert image["row"] == 5 and image["file"] == str(survey_copy.kaggle_solutions)
    assert image["reason"] == f"image missing: expected kaggle/images_training_rev1/{missing}.jpg"


# --- 7. sentences instead of raw errors --------------------------------------------------


def test_a_wrong_flavour_gz2_table_in_the_fetch_step_names_the_column(tmp_path):
    path = tmp_path / "gz2_hart16.csv.gz"
    write_gz2_table(path, pd.DataFrame({"objid": [1, 2], "sample": ["stripe82", "stripe82"]}))
    with pytest.raises(InputError, match=r"missing column\(s\) dr7objid \(closest in the file: "
                                         r"objid\)"):  # fmt: skip
        skyserver.gz2_objids(path)


def test_a_truncated_shard_is_named(tmp_path):
    path = tmp_path / "shard-000.npz"
    np.savez(path, ids=np.arange(3), images=np.zeros((3, 4, 4, 3), np.uint8), crop_px=4, size_px=4)
    path.write_bytes(path.read_bytes()[:150])
    for read in (arrays.read_shard, lambda p: arrays.image_index([p])):
        with pytest.raises(InputError, match=rf"{path}: unreadable .*truncated or corrupt"):
            read(path)


def test_a_corrupt_model_file_is_named_as_corrupt_not_missing(tmp_path):
    pytest.importorskip("keras")
    from gzxai.cnn.train import load_model

    path = tmp_path / "model.keras"
    path.write_bytes(b"PK\x03\x04 half a model")
    with pytest.raises(InputError, match=rf"{path}: not a readable Keras model"):
        load_model(path)


def under_declared_zip(size: int = 5000) -> bytes:
    """A zip whose one member holds more bytes than its headers declare."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("images/1.jpg", os.urandom(size))
    data = bytearray(buffer.getvalue())
    local = data.index(b"PK\x03\x04")
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, local + 22, size // 2)
    struct.pack_into("<I", data, central + 24, size // 2)
    return bytes(data)


def test_an_under_declared_zip_member_names_the_archive_and_member(tmp_path):
    archive = tmp_path / "images_gz2.zip"
    archive.write_bytes(under_declared_zip())
    with pytest.raises(errors.UnsafeArchiveError) as caught:
        archives.safe_extract(archive, tmp_path / "out", progress=False)
    assert f"{archive}: member 'images/1.jpg' is corrupt" in str(caught.value)
    assert not (tmp_path / "out" / "images" / "1.jpg").exists()


# --- 8. secrets, permissions and archives --------------------------------------------


SECRET_URLS = {
    "gz2_hart16_url": "https://alice:pa55word-7@mirror.example.org/gz2_hart16.csv.gz",
    "gz2_images_url": "https://bucket.example.org/images_gz2.zip?sig=S1GNATURE-abc&se=2027",
    "kaggle_mirror_url": "https://mirror.example.org/kaggle.zip?token=T0KEN-xyz",
    "hoyle_url": "https://bob:hunter2-bob@mirror.example.org/hoyle_barlengths.csv",
}
SECRETS = ("pa55word-7", "S1GNATURE-abc", "T0KEN-xyz", "hunter2-bob")


def test_a_dry_run_never_prints_the_credentials_of_a_mirror_url(tmp_path):
    config = tmp_path / "real.yaml"
    config.write_text(yaml.safe_dump({"source": "real", "fetch": SECRET_URLS}))
    run = run_snakemake(tmp_path, "-n", "-p", configfiles=[TINY_CONFIG, config])
    assert run.returncode == 0, run.stdout[-2000:]
    assert "gzxai fetch file" in run.stdout and "env:GZXAI_FETCH_" in run.stdout
    for secret in SECRETS:
        assert secret not in run.stdout


def test_retry_and_error_messages_hide_credentials(server, tmp_path, caplog):
    server.status["/private.zip"] = 503
    url = f"http://carol:s3cret-pass@{server.url.removeprefix('http://')}/private.zip?token=T0K"
    retry = fetch.RetryPolicy(attempts=2, backoff_seconds=0.01, timeout_seconds=5)
    with caplog.at_level(logging.WARNING), pytest.raises(errors.FetchError) as caught:
        fetch.download(url, tmp_path / "private.zip", retry=retry, progress=False)
    for text in (str(caught.value), caplog.text):
        assert "s3cret-pass" not in text and "T0K" not in text
        assert "http://***@" in text and "token=***" in text
    assert server.requests  # the credentials were used: the server was asked


def test_an_authorization_header_in_a_client_error_is_redacted():
    message = "401 Client Error: headers {'Authorization': 'Basic YXN0cm86c2VjcmV0a2V5'}"
    assert "YXN0cm86c2VjcmV0a2V5" not in redact(message)
    assert "Authorization: Bearer abc.def-ghi" not in redact("Authorization: Bearer abc.def-ghi")


@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_atomic_outputs_follow_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        assert current_umask() == umask
        write_csv(pd.DataFrame({"a": [1]}), tmp_path / "table.csv")
    finally:
        os.umask(old)
    assert (tmp_path / "table.csv").stat().st_mode & 0o777 == 0o666 & ~umask


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def test_a_nested_archive_is_checked_before_the_outer_one_is_unpacked(tmp_path):
    inner = zip_bytes({"images/1.jpg": b"jpeg", "../../escape.txt": b"gotcha"})
    archive = tmp_path / "kaggle.zip"
    archive.write_bytes(
        zip_bytes({"training_solutions_rev1.csv": b"GalaxyID\n", "inner.zip": inner})
    )
    with pytest.raises(errors.UnsafeArchiveError, match=r"kaggle\.zip!inner\.zip: refusing"):
        archives.safe_extract(archive, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_zip_bomb_is_refused_before_anything_is_written(tmp_path):
    archive = tmp_path / "images_gz2.zip"
    archive.write_bytes(zip_bytes({"images/1.jpg": b"jpeg", "images/bomb.jpg": bytes(20 << 20)}))
    with pytest.raises(errors.UnsafeArchiveError, match=r"'images/bomb\.jpg': .*\(ratio \d+"):
        archives.safe_extract(archive, tmp_path / "out", progress=False)
    assert not (tmp_path / "out" / "images" / "1.jpg").exists()
