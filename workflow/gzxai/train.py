"""Train one ensemble member on Kaggle vote fractions (Bhambra et al. 2022, §4.3).

Images stream from the resized shards through tf.data (never the whole set in memory);
the split of every galaxy into train / val / test is a pure function of its id and the seed,
so every member, the prediction and the ensemble stage agree on it without sharing state.
Training minimises the RMSE with Adam, halves the learning rate on a validation plateau,
stops early (restoring the best weights) and backs up every epoch, so a killed job resumes
where it stopped.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gzxai.augment import AugmentConfig
from gzxai.io import atomic_path, write_json
from gzxai.models import ModelConfig, build_model

log = logging.getLogger(__name__)

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class TrainingConfig:
    """The ``training`` block merged with a member's ``training`` overrides."""

    batch_size: int
    max_epochs: int
    learning_rate: float
    loss: str
    reduce_lr_factor: float
    reduce_lr_patience: int
    early_stopping_patience: int
    shuffle_buffer: int
    augment: AugmentConfig

    @classmethod
    def from_config(cls, block: dict) -> TrainingConfig:
        return cls(
            batch_size=int(block["batch_size"]),
            max_epochs=int(block["max_epochs"]),
            learning_rate=float(block["learning_rate"]),
            loss=block["loss"],
            reduce_lr_factor=float(block["reduce_lr"]["factor"]),
            reduce_lr_patience=int(block["reduce_lr"]["patience"]),
            early_stopping_patience=int(block["early_stopping"]["patience"]),
            shuffle_buffer=int(block["shuffle_buffer"]),
            augment=AugmentConfig.from_config(block["augment"]),
        )


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a fixed, well-mixed hash of 64-bit integers."""
    z = values.astype(np.uint64)
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def assign_splits(
    ids: np.ndarray, seed: int, val_fraction: float, test_fraction: float
) -> np.ndarray:
    """'train', 'val' or 'test' for each galaxy id: a function of (id, seed) alone."""
    with np.errstate(over="ignore"):
        keyed = np.asarray(ids, dtype=np.int64).astype(np.uint64) + np.uint64(seed) * np.uint64(
            0x9E3779B97F4A7C15
        )
    u = (_mix(keyed) >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    return np.where(
        u < test_fraction, "test", np.where(u < test_fraction + val_fraction, "val", "train")
    )


def rmse_loss(y_true, y_pred):
    """Root mean squared error over the batch and all 37 outputs (the paper's loss)."""
    from keras import ops

    return ops.sqrt(ops.mean(ops.square(ops.cast(y_true, y_pred.dtype) - y_pred)))


class ShardStream:
    """Labelled images of one split, streamed shard by shard from the resized shards."""

    def __init__(self, shard_paths: Sequence[Path], labels: pd.DataFrame, image_size: int):
        self.shard_paths = [Path(p) for p in shard_paths]
        self.labels = labels  # index: galaxy_id; columns: the 37 answers
        self.image_size = image_size

    def chunks(
        self, split_ids: set[int], shard_order: Sequence[int]
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for k in shard_order:
            with np.load(self.shard_paths[k]) as shard:
                ids = shard["ids"]
                keep = np.fromiter((i in split_ids for i in ids), bool, len(ids))
                if keep.any():
                    yield shard["images"][keep], self.labels.loc[ids[keep]].to_numpy(np.float32)

    def count(self, split_ids: set[int]) -> int:
        """How many images of the split the shards hold (reads only the id arrays)."""
        total = 0
        for path in self.shard_paths:
            with np.load(path) as shard:
                total += sum(int(i) in split_ids for i in shard["ids"])
        return total

    def dataset(self, split_ids: set[int], batch_size: int, shuffle: int, seed: int):
        """A tf.data pipeline of (float image in [0, 1], 37 fractions); shuffled if ``shuffle``."""
        import tensorflow as tf

        n_out = self.labels.shape[1]
        epoch = [0]

        def generate():
            order = np.arange(len(self.shard_paths))
            if shuffle:
                np.random.default_rng([seed, epoch[0]]).shuffle(order)
                epoch[0] += 1
            yield from self.chunks(split_ids, order)

        signature = (
            tf.TensorSpec((None, self.image_size, self.image_size, 3), tf.uint8),
            tf.TensorSpec((None, n_out), tf.float32),
        )
        ds = tf.data.Dataset.from_generator(generate, output_signature=signature).unbatch()
        # A known length gives Keras real progress and epoch boundaries.
        ds = ds.apply(tf.data.experimental.assert_cardinality(self.count(split_ids)))
        if shuffle:
            ds = ds.shuffle(shuffle, seed=seed, reshuffle_each_iteration=True)
        ds = ds.map(
            lambda x, y: (tf.cast(x, tf.float32) / 255.0, y), num_parallel_calls=tf.data.AUTOTUNE
        )
        return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def configure_tensorflow(threads: int, seed: int) -> None:
    """Seed every generator and bound TensorFlow to the job's threads (no XLA on CPU)."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(max(1, threads))
    except RuntimeError:
        # TensorFlow already started in this process (a notebook, a test): its threads stay.
        log.debug("TensorFlow threads already fixed; keeping them")


def train_member(
    *,
    model_cfg: ModelConfig,
    train_cfg: TrainingConfig,
    shard_paths: Sequence[Path],
    labels: pd.DataFrame,
    splits: pd.Series,
    image_size: int,
    seed: int,
    work_dir: Path,
    model_path: Path,
    history_path: Path,
    summary_path: Path,
    threads: int = 1,
    extra_callbacks: Sequence = (),
) -> dict:
    """Fit one member; resume from ``work_dir`` if a previous run of it was interrupted."""
    import keras

    configure_tensorflow(threads, seed)
    work_dir = Path(work_dir)
    backup_dir = work_dir / "backup"
    running_history = work_dir / "history.csv"
    resuming = backup_dir.exists()
    if not resuming:
        shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir(parents=True, exist_ok=True)
    log.info("%s training (%s)", "resuming" if resuming else "starting", model_cfg.architecture)

    train_ids = set(splits.index[splits == "train"].tolist())
    val_ids = set(splits.index[splits == "val"].tolist())
    stream = ShardStream(shard_paths, labels, image_size)
    train_ds = stream.dataset(train_ids, train_cfg.batch_size, train_cfg.shuffle_buffer, seed)
    val_ds = stream.dataset(val_ids, train_cfg.batch_size, 0, seed)

    loss, n_outputs, metrics = _objective(train_cfg.loss, labels.shape[1])
    model = build_model(model_cfg, image_size, n_outputs, train_cfg.augment, seed)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=train_cfg.learning_rate),
        loss=loss,
        metrics=metrics,
        jit_compile=False,
    )
    callbacks = [
        keras.callbacks.BackupAndRestore(str(backup_dir), save_freq="epoch"),
        keras.callbacks.CSVLogger(str(running_history), append=True),
        keras.callbacks.ReduceLROnPlateau(
            monitor="val_loss",
            factor=train_cfg.reduce_lr_factor,
            patience=train_cfg.reduce_lr_patience,
        ),
        keras.callbacks.EarlyStopping(
            monitor="val_loss",
            patience=train_cfg.early_stopping_patience,
            restore_best_weights=True,
        ),
        *extra_callbacks,
    ]
    start = time.perf_counter()
    model.fit(
        train_ds,
        validation_data=val_ds,
        epochs=train_cfg.max_epochs,
        callbacks=callbacks,
        shuffle=False,  # tf.data shuffles, seeded
        verbose=2,
    )
    elapsed = time.perf_counter() - start

    history = _deduplicated_history(running_history)
    with atomic_path(model_path) as tmp:
        model.save(tmp)
    with atomic_path(history_path) as tmp:
        history.to_csv(tmp, index=False)
    summary = {
        "architecture": model_cfg.architecture,
        "parameters": int(model.count_params()),
        "epochs": len(history),
        "best_epoch": int(history["val_loss"].idxmin()) + 1,
        "best_val_loss": float(history["val_loss"].min()),
        "resumed": resuming,
        "seconds_this_run": round(elapsed, 1),
        "n_train": len(train_ids),
        "n_val": len(val_ids),
        "image_size": image_size,
    }
    write_json(summary, summary_path)
    shutil.rmtree(work_dir, ignore_errors=True)
    return summary


def _objective(loss: str, n_label_columns: int) -> tuple:
    """(loss, number of model outputs, metrics) of a training objective.

    ``rmse``/``mse``: vote fractions, one output per label column. ``debiased``: a
    smooth/disk classifier trained on (label, flip probability) pairs with Medina's eq. (8);
    a flip probability of 0 makes it the plain cross-entropy of the naive classifier.
    """
    import keras

    from gzxai.bias import debiased_likelihood_loss

    if loss == "debiased":
        return debiased_likelihood_loss, 1, []
    rmse = keras.metrics.RootMeanSquaredError(name="rmse")
    return (rmse_loss if loss == "rmse" else "mean_squared_error"), n_label_columns, [rmse]


def _deduplicated_history(path: Path) -> pd.DataFrame:
    """The epoch log; an epoch redone after a resume keeps its last record."""
    history = pd.read_csv(path)
    return history.drop_duplicates("epoch", keep="last").sort_values("epoch").reset_index(drop=True)


def load_model(model_path: str | Path, compile: bool = False):
    """A model saved by :func:`train_member` (custom layers registered, losses known)."""
    import keras

    import gzxai.augment  # noqa: F401  (registers the custom augmentation layer)
    from gzxai.bias import debiased_likelihood_loss

    custom = {"rmse_loss": rmse_loss, "debiased_likelihood_loss": debiased_likelihood_loss}
    return keras.models.load_model(model_path, custom_objects=custom, compile=compile)


def predict_shards(
    model_path: Path, shard_paths: Sequence[Path], batch_size: int = 256
) -> pd.DataFrame:
    """Predictions (37 columns) for every image of the shards, indexed by galaxy id."""
    model = load_model(model_path)
    frames = []
    for path in shard_paths:
        with np.load(path) as shard:
            images = shard["images"].astype(np.float32) / 255.0
            predictions = model.predict(images, batch_size=batch_size, verbose=0)
            frames.append(pd.DataFrame(predictions, index=pd.Index(shard["ids"], name="galaxy_id")))
    return pd.concat(frames)
