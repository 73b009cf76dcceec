import numpy as np
import pandas as pd
import pytest

from gzxai.augment import AugmentConfig
from gzxai.config import member_training
from gzxai.models import ModelConfig
from gzxai.train import (
    ShardStream,
    TrainingConfig,
    assign_splits,
    predict_shards,
    rmse_loss,
    train_member,
)

keras = pytest.importorskip("keras")


def test_splits_depend_only_on_id_and_seed():
    ids = np.arange(100_000, 120_000)
    splits = assign_splits(ids, seed=7, val_fraction=0.05, test_fraction=0.1)
    counts = pd.Series(splits).value_counts(normalize=True)
    assert counts["test"] == pytest.approx(0.10, abs=0.01)
    assert counts["val"] == pytest.approx(0.05, abs=0.01)
    shuffled = np.random.default_rng(0).permutation(len(ids))
    np.testing.assert_array_equal(assign_splits(ids[shuffled], 7, 0.05, 0.1), splits[shuffled])
    assert (assign_splits(ids, 8, 0.05, 0.1) != splits).mean() > 0.1


def test_rmse_loss_is_the_root_of_the_mean_square():
    rng = np.random.default_rng(0)
    y, p = rng.uniform(size=(8, 37)).astype("float32"), rng.uniform(size=(8, 37)).astype("float32")
    assert float(rmse_loss(y, p)) == pytest.approx(np.sqrt(np.mean((y - p) ** 2)), rel=1e-6)


def test_member_overrides_apply_to_that_member_only(default_config):
    config = dict(default_config)
    config["members"] = {
        "a": {
            "architecture": "vgg_compact",
            "training": {"max_epochs": 3, "reduce_lr": {"patience": 1}},
        },
        "b": {"architecture": "vgg_compact"},
    }
    a, b = member_training(config, "a"), member_training(config, "b")
    assert a["max_epochs"] == 3 and b["max_epochs"] == default_config["training"]["max_epochs"]
    assert a["reduce_lr"] == {"factor": 0.5, "patience": 1}
    assert b["reduce_lr"] == default_config["training"]["reduce_lr"]


@pytest.fixture
def tiny_shards(tmp_path):
    """Two shards of 16-px images whose pixels encode their galaxy id; labels likewise."""
    rng = np.random.default_rng(0)
    ids = np.arange(1000, 1080)
    images = rng.integers(0, 255, (80, 16, 16, 3), dtype=np.uint8)
    labels = pd.DataFrame(
        rng.uniform(size=(80, 37)).astype("float32"), index=pd.Index(ids, name="galaxy_id")
    )
    paths = []
    for k, rows in enumerate(np.array_split(np.arange(80), 2)):
        path = tmp_path / f"shard-{k:03d}.npz"
        np.savez(path, ids=ids[rows], images=images[rows], crop_px=16, size_px=16)
        paths.append(path)
    return paths, labels, images


def test_the_stream_yields_one_split_with_aligned_labels(tiny_shards):
    paths, labels, images = tiny_shards
    wanted = set(range(1000, 1080, 3))
    stream = ShardStream(paths, labels, 16)
    assert stream.count(wanted) == len(wanted)
    seen = 0
    for chunk_images, chunk_labels in stream.chunks(wanted, [1, 0]):
        for image, label in zip(chunk_images, chunk_labels, strict=True):
            row = int(np.flatnonzero((images == image).all(axis=(1, 2, 3)))[0])
            galaxy = 1000 + row
            assert galaxy in wanted
            np.testing.assert_array_equal(label, labels.loc[galaxy].to_numpy())
            seen += 1
    assert seen == len(wanted)
    batches = list(stream.dataset(wanted, batch_size=8, shuffle=16, seed=1))
    assert sum(len(x) for x, _ in batches) == len(wanted)
    x, _ = batches[0]
    assert float(np.max(x)) <= 1.0 and x.dtype.name == "float32"


class KilledError(Exception):
    pass


class KillMidEpoch(keras.callbacks.Callback):
    """Raises in the middle of the given epoch, as a killed job would stop."""

    def __init__(self, epoch: int):
        super().__init__()
        self.epoch = epoch
        self.current = -1

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.current == self.epoch and batch == 1:
            raise KilledError


def test_a_killed_training_resumes_from_the_last_epoch(tiny_shards, tmp_path):
    paths, labels, _ = tiny_shards
    ids = labels.index.to_numpy()
    splits = pd.Series(np.where(ids % 5 == 0, "val", "train"), index=ids)
    train_cfg = TrainingConfig(
        batch_size=8, max_epochs=4, learning_rate=1e-3, loss="rmse", reduce_lr_factor=0.5,
        reduce_lr_patience=5, early_stopping_patience=5, shuffle_buffer=32, augment=AugmentConfig(),
    )  # fmt: skip
    outputs = {name: tmp_path / name for name in ("model.keras", "history.csv", "training.json")}
    run = dict(
        model_cfg=ModelConfig("vgg_compact", head_units=(8,), width=4),
        train_cfg=train_cfg,
        shard_paths=paths,
        labels=labels,
        splits=splits,
        image_size=16,
        seed=3,
        work_dir=tmp_path / "work",
        model_path=outputs["model.keras"],
        history_path=outputs["history.csv"],
        summary_path=outputs["training.json"],
    )
    with pytest.raises(KilledError):
        train_member(**run, extra_callbacks=[KillMidEpoch(epoch=2)])
    assert not any(path.exists() for path in outputs.values())
    assert (tmp_path / "work" / "backup").is_dir()
    assert pd.read_csv(tmp_path / "work" / "history.csv")["epoch"].tolist() == [0, 1]

    summary = train_member(**run)
    assert summary["resumed"] is True
    assert summary["epochs"] == 4
    history = pd.read_csv(outputs["history.csv"])
    assert history["epoch"].tolist() == [0, 1, 2, 3]
    assert not (tmp_path / "work").exists()

    predictions = predict_shards(outputs["model.keras"], paths)
    assert predictions.shape == (80, 37)
    assert set(predictions.index) == set(ids)
