import numpy as np
import pandas as pd
import pytest

from gzxai.core import arrays
from gzxai.core.errors import InputError
from gzxai.core.layout import SourceLayout
from gzxai.sources import images


def test_crop_and_resize_keeps_the_centre():
    image = np.zeros((424, 424, 3), np.uint8)
    image[200:224, 200:224] = 255  # a bright square at the centre
    out = images.crop_and_resize(image, crop_px=212, size_px=106)
    assert out.shape == (106, 106, 3)
    assert out.dtype == np.uint8
    assert out[53, 53].min() == 255
    assert out[0, 0].max() == 0


def test_crop_larger_than_the_image_is_refused():
    with pytest.raises(ValueError, match="larger than"):
        images.crop_and_resize(np.zeros((100, 100, 3), np.uint8), crop_px=200, size_px=64)


def test_shards_partition_the_rows():
    parts = [images.shard_rows(10, 3, k) for k in range(3)]
    assert np.concatenate(parts).tolist() == list(range(10))
    with pytest.raises(ValueError):
        images.shard_rows(10, 3, 3)


def test_a_corrupt_image_is_named(tmp_path):
    path = tmp_path / "1.jpg"
    path.write_bytes(b"\xff\xd8not really a jpeg")
    with pytest.raises(InputError, match=r"1\.jpg: unreadable image"):
        images.load_rgb(path)


def test_build_shard_reads_quarantines_and_round_trips(survey_root, tmp_path):
    layout = SourceLayout(survey_root)
    truth = pd.read_parquet(layout.truth)
    table = pd.DataFrame(
        {
            "dr7objid": truth["dr7objid"].iloc[:4],
            "image_path": [f"gz2/images_gz2/images/{a}.jpg" for a in truth["asset_id"].iloc[:4]],
        }
    )
    table.loc[3, "image_path"] = "gz2/images_gz2/images/missing.jpg"
    shard, quarantine = images.build_shard(
        table,
        dataset="gz2",
        source_root=survey_root,
        shard=0,
        n_shards=1,
        crop_px=160,
        size_px=32,
        progress=False,
    )
    assert shard["images"].shape == (3, 32, 32, 3)
    assert shard["ids"].tolist() == truth["dr7objid"].iloc[:3].tolist()
    assert quarantine["id"].tolist() == [str(truth["dr7objid"].iloc[3])]
    assert "missing.jpg" in quarantine["file"].iloc[0]
    arrays.write_shard(shard, tmp_path / "shard-000.npz")
    back = arrays.read_shard(tmp_path / "shard-000.npz")
    np.testing.assert_array_equal(back["images"], shard["images"])
    assert int(back["size_px"]) == 32
