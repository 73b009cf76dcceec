import numpy as np
import pandas as pd
import pytest

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
    arrays, quarantine = images.build_shard(
        table,
        dataset="gz2",
        source_root=survey_root,
        shard=0,
        n_shards=1,
        crop_px=160,
        size_px=32,
        progress=False,
    )
    assert arrays["images"].shape == (3, 32, 32, 3)
    assert arrays["ids"].tolist() == truth["dr7objid"].iloc[:3].tolist()
    assert quarantine["id"].tolist() == [str(truth["dr7objid"].iloc[3])]
    assert "missing.jpg" in quarantine["file"].iloc[0]
    images.write_shard(arrays, tmp_path / "shard-000.npz")
    back = images.read_shard(tmp_path / "shard-000.npz")
    np.testing.assert_array_equal(back["images"], arrays["images"])
    assert int(back["size_px"]) == 32


def test_images_are_gathered_by_id_across_shards(tmp_path, monkeypatch):
    paths = []
    for k in range(2):
        ids = np.arange(10 * k, 10 * k + 10)
        pixels = np.repeat(ids.astype(np.uint8), 4 * 4 * 3).reshape(10, 4, 4, 3)
        path = tmp_path / f"shard-{k:03d}.npz"
        np.savez(path, ids=ids, images=pixels, crop_px=4, size_px=4)
        paths.append(path)
    reads = []
    real_load = np.load

    class CountingNpz:
        """Counts how often a shard's image array is decompressed."""

        def __init__(self, path):
            self.npz = real_load(path)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.npz.close()

        def __getitem__(self, key):
            reads.append(key)
            return self.npz[key]

    monkeypatch.setattr(images.np, "load", CountingNpz)
    gathered = images.read_by_id(paths, [15, 2, 11, 12, 13])
    assert gathered[:, 0, 0, 0].tolist() == [15, 2, 11, 12, 13]
    # Each shard's images are read once, not once per wanted galaxy (that took 24 GB).
    assert reads.count("images") == 2
    monkeypatch.undo()
    with pytest.raises(KeyError, match="in none of the shards"):
        images.read_by_id(paths, [99])
