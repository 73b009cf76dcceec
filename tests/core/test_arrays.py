import numpy as np
import pytest

from gzxai.core import arrays
from gzxai.core.errors import InputError


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

        @property
        def files(self):
            return self.npz.files

        def __getitem__(self, key):
            reads.append(key)
            return self.npz[key]

    monkeypatch.setattr(np, "load", CountingNpz)
    gathered = arrays.read_by_id(paths, [15, 2, 11, 12, 13])
    assert gathered[:, 0, 0, 0].tolist() == [15, 2, 11, 12, 13]
    # Each shard's images are read once, not once per wanted galaxy (that took 24 GB).
    assert reads.count("images") == 2
    monkeypatch.undo()
    with pytest.raises(KeyError, match="in none of the shards"):
        arrays.read_by_id(paths, [99])


def shard(n=3, size=4):
    return {
        "ids": np.arange(n, dtype=np.int64),
        "images": np.zeros((n, size, size, 3), np.uint8),
        "crop_px": np.int64(8),
        "size_px": np.int64(size),
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ids": np.arange(3, dtype=np.int32)}, "ids is int32"),
        ({"images": np.zeros((3, 4, 4, 3), np.float32)}, "images is float32"),
        ({"images": np.zeros((2, 4, 4, 3), np.uint8)}, "images has n = 2, other arrays 3"),
        ({"images": np.zeros((3, 4, 5, 3), np.uint8)}, "size_px = 5, other arrays 4"),
        ({"images": np.zeros((3, 4, 4), np.uint8)}, r"images has shape \(3, 4, 4\)"),
        ({"ids": np.array([1, 1, 2])}, "ids repeats values"),
    ],
)
def test_a_shard_that_breaks_its_contract_is_refused_on_write_and_on_read(
    tmp_path, change, message
):
    bad = shard() | change
    with pytest.raises(ValueError, match=message):
        arrays.write_shard(bad, tmp_path / "written.npz")
    assert not (tmp_path / "written.npz").exists()
    np.savez(tmp_path / "foreign.npz", **bad)
    with pytest.raises(InputError, match=f"foreign.npz: .*{message}"):
        arrays.read_shard(tmp_path / "foreign.npz")


def test_a_good_shard_and_maps_round_trip_exactly(tmp_path):
    arrays.write_shard(shard(), tmp_path / "shard.npz")
    back = arrays.read_shard(tmp_path / "shard.npz")
    for key, value in shard().items():
        np.testing.assert_array_equal(back[key], value)
        assert back[key].dtype == value.dtype
    maps = np.random.default_rng(0).uniform(size=(2, 3, 4, 4))
    arrays.write_maps(np.array([5, 6, 7]), [0.1, 0.2], maps, tmp_path / "maps.npz")
    ids, levels, back_maps = arrays.read_maps(tmp_path / "maps.npz")
    assert ids.tolist() == [5, 6, 7] and levels.tolist() == [0.1, 0.2]
    np.testing.assert_allclose(back_maps, maps.astype(np.float16), rtol=0)
    assert back_maps.dtype == np.float32
