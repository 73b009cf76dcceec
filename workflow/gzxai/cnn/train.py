"""Train one ensemble member on Kaggle vote fractions (Bhambra et al. 2022, §4.3).

Images stream from the resized shards through tf.data (never the whole set in memory);
the split of every galaxy into train / val / test is a pure function of its id and the seed,
so every member, the prediction and the ensemble stage agree on it without sharing state.
Training minimises the RMSE with Adam, halves the learning rate on a validation plateau,
stops early (restoring the best weights) and checkpoints every epoch, so a killed job resumes
where it stopped and ends as the uninterrupted run would have (:mod:`gzxai.cnn.checkpoint`).
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import time
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gzxai.cnn import checkpoint
from gzxai.cnn.augment import AugmentConfig, ViewConfig, augment_from_config
from gzxai.cnn.losses import (
    binomial_loss,
    debiased_likelihood_loss,
    dirichlet_tree_loss,
    rmse_loss,
    tree_questions,
)
from gzxai.cnn.models import ModelConfig, build_model
from gzxai.core.arrays import read_shard, shard_ids
from gzxai.core.errors import ConfigError, InputError
from gzxai.core.io import atomic_path, write_csv, write_json
from gzxai.core.provenance import code_digest, settings_digest

log = logging.getLogger(__name__)


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
    augment: AugmentConfig | ViewConfig

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
            augment=augment_from_config(block["augment"]),
        )


class ShardStream:
    """Labelled images of one split, streamed shard by shard from the resized shards."""

    #: A split whose images fit in this many bytes is read from the shards once and kept:
    #: a small training set (active learning, a few hundred galaxies) would otherwise reread
    #: every shard in every epoch.
    CACHE_BYTES = 256 * 2**20

    def __init__(self, shard_paths: Sequence[Path], labels: pd.DataFrame, image_size: int):
        self.shard_paths = [Path(p) for p in shard_paths]
        self.labels = labels  # index: galaxy_id; columns: the 37 answers
        self.image_size = image_size
        self._kept: dict[frozenset, dict[int, tuple[np.ndarray, np.ndarray] | None]] = {}

    def _select(self, k: int, split_ids: set[int]) -> tuple[np.ndarray, np.ndarray] | None:
        shard = read_shard(self.shard_paths[k])
        ids = shard["ids"]
        keep = np.fromiter((i in split_ids for i in ids), bool, len(ids))
        if not keep.any():
            return None
        return shard["images"][keep], self.labels.loc[ids[keep]].to_numpy(np.float32)

    def chunks(
        self, split_ids: set[int], shard_order: Sequence[int]
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """The split's (images, labels) of each shard, in ``shard_order``."""
        key = frozenset(split_ids)
        kept = self._kept.get(key)
        if kept is None and len(split_ids) * 3 * self.image_size**2 <= self.CACHE_BYTES:
            kept = self._kept[key] = {
                k: self._select(k, split_ids) for k in range(len(self.shard_paths))
            }
        for k in shard_order:
            chunk = kept[k] if kept is not None else self._select(k, split_ids)
            if chunk is not None:
                yield chunk

    def count(self, split_ids: set[int]) -> int:
        """How many images of the split the shards hold (reads only the id arrays)."""
        total = 0
        for path in self.shard_paths:
            total += sum(int(i) in split_ids for i in shard_ids(path))
        return total

    def shuffled_chunks(
        self, split_ids: set[int], buffer: int, seed: int, epoch: int
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """One epoch of the split in an order that is a function of (seed, epoch) alone.

        Shards come in a random order; each is mixed with a carried-over buffer of up to
        ``buffer`` images, permuted, and all but ``buffer`` of them go out. Memory is one
        shard plus the buffer, as with tf.data's shuffle, but the order does not depend on
        how many epochs this process has already run: a resumed run sees the same data.
        """
        rng = np.random.default_rng([seed, epoch])
        order = rng.permutation(len(self.shard_paths))
        held_x = held_y = None
        for images, labels in self.chunks(split_ids, order):
            if held_x is not None:
                images, labels = np.concatenate([held_x, images]), np.concatenate([held_y, labels])
            mixed = rng.permutation(len(images))
            n_out = max(len(images) - buffer, 0)
            out, keep = mixed[:n_out], mixed[n_out:]
            held_x, held_y = images[keep], labels[keep]
            if len(out):
                yield images[out], labels[out]
        if held_x is not None and len(held_x):
            last = rng.permutation(len(held_x))
            yield held_x[last], held_y[last]

    def dataset(
        self, split_ids: set[int], batch_size: int, shuffle: int, seed: int, first_epoch: int = 0
    ):
        """A tf.data pipeline of (float image in [0, 1], label columns); shuffled if
        ``shuffle`` (a buffer size), in an order keyed to the epoch, counted from
        ``first_epoch`` (a resumed run starts there)."""
        import tensorflow as tf

        n_out = self.labels.shape[1]
        epoch = [first_epoch]

        def generate():
            if shuffle:
                yield from self.shuffled_chunks(split_ids, shuffle, seed, epoch[0])
                epoch[0] += 1
            else:
                yield from self.chunks(split_ids, range(len(self.shard_paths)))

        signature = (
            tf.TensorSpec((None, self.image_size, self.image_size, 3), tf.uint8),
            tf.TensorSpec((None, n_out), tf.float32),
        )
        ds = tf.data.Dataset.from_generator(generate, output_signature=signature).unbatch()
        # A known length gives Keras real progress and epoch boundaries.
        ds = ds.apply(tf.data.experimental.assert_cardinality(self.count(split_ids)))
        ds = ds.map(
            lambda x, y: (tf.cast(x, tf.float32) / 255.0, y), num_parallel_calls=tf.data.AUTOTUNE
        )
        return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


#: Images a compiled training call processes before it returns to Python.
IMAGES_PER_EXECUTION = 256


def steps_per_execution(batch_size: int) -> int:
    """Training steps per compiled call: several small steps in one call, because Keras' own
    per-step work in Python costs as much as a small model's step on a CPU. The steps, their
    order and their random draws are those of one step per call (the weights come out equal,
    bit for bit: tests/cnn/test_train.py); only the per-epoch callbacks are used, so nothing
    waits for a per-batch hook."""
    return max(1, IMAGES_PER_EXECUTION // batch_size)


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


def training_fingerprint(
    model_cfg: ModelConfig,
    train_cfg: TrainingConfig,
    *,
    labels: pd.DataFrame,
    splits: pd.Series,
    shard_paths: Sequence[Path],
    image_size: int,
    seed: int,
    initial_model: Path | None = None,
) -> str:
    """Digest of everything a training run's result depends on: settings, labels, splits, the
    shards it reads (their names and sizes), the weights it starts from and the code. A backup
    made by anything else is not resumed from."""
    import keras
    import tensorflow as tf

    data = hashlib.sha256()
    data.update(pd.util.hash_pandas_object(labels, index=True).to_numpy().tobytes())
    data.update(pd.util.hash_pandas_object(splits, index=True).to_numpy().tobytes())
    for path in shard_paths:
        data.update(f"{Path(path).name}:{Path(path).stat().st_size}".encode())
    if initial_model is not None:
        data.update(hashlib.sha256(Path(initial_model).read_bytes()).digest())
    return settings_digest(
        {
            "model": asdict(model_cfg),
            "training": asdict(train_cfg),
            "image_size": image_size,
            "seed": seed,
            "data": data.hexdigest(),
            "code": code_digest(__name__),
            "versions": [keras.__version__, tf.__version__],
        }
    )


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
    initial_model: Path | None = None,
) -> dict:
    """Fit one member; resume from the checkpoint in ``work_dir`` if a previous run with the
    same settings, data and code was interrupted (:mod:`gzxai.cnn.checkpoint`). With
    ``initial_model`` training continues from that model's weights (a fresh optimizer)."""

    configure_tensorflow(threads, seed)
    work_dir = Path(work_dir)
    running_history = work_dir / "history.csv"
    fingerprint = training_fingerprint(
        model_cfg, train_cfg, labels=labels, splits=splits, shard_paths=shard_paths,
        image_size=image_size, seed=seed, initial_model=initial_model,
    )  # fmt: skip
    loss, n_outputs, metrics = _objective(train_cfg.loss, labels.shape[1])
    train_ids = set(splits.index[splits == "train"].tolist())
    val_ids = set(splits.index[splits == "val"].tolist())
    output_bias, baseline = _constant_fit(model_cfg, train_cfg, labels, train_ids, val_ids)
    resumed = checkpoint.load(work_dir, fingerprint, lambda path: load_model(path, compile=True))
    model, optimizer, first_epoch = _model_to_train(
        resumed, model_cfg, train_cfg, n_outputs, image_size, seed, work_dir, initial_model,
        output_bias,
    )  # fmt: skip
    work_dir.mkdir(parents=True, exist_ok=True)
    model.compile(
        optimizer=optimizer,
        loss=loss,
        metrics=metrics,
        jit_compile=False,
        steps_per_execution=steps_per_execution(train_cfg.batch_size),
    )
    status = "starting" if resumed is None else f"resuming at epoch {first_epoch + 1}"
    log.info("%s training (%s)", status, model_cfg.architecture)

    stream = ShardStream(shard_paths, labels, image_size)
    train_ds = stream.dataset(
        train_ids, train_cfg.batch_size, train_cfg.shuffle_buffer, seed, first_epoch
    )
    val_ds = stream.dataset(val_ids, train_cfg.batch_size, 0, seed)

    saver = checkpoint.EpochCheckpoint(work_dir, fingerprint, resumed)
    callbacks = [*_schedule(train_cfg, running_history), *extra_callbacks]
    saver.watch(callbacks)
    start = time.perf_counter()
    model.fit(
        train_ds,
        validation_data=val_ds,
        epochs=train_cfg.max_epochs,
        initial_epoch=first_epoch,
        callbacks=[*callbacks, saver],  # the saver last: it saves the others' state
        shuffle=False,  # the stream shuffles, keyed to the epoch
        verbose=2,
    )
    elapsed = time.perf_counter() - start

    history = _deduplicated_history(running_history)
    _save(model, history, model_path, history_path)
    summary = {
        "architecture": model_cfg.architecture,
        "parameters": int(model.count_params()),
        **_history_summary(history),
        **baseline,
        "resumed": resumed is not None,
        "seconds_this_run": round(elapsed, 1),
        "n_train": len(train_ids),
        "n_val": len(val_ids),
        "image_size": image_size,
    }
    write_json(summary, summary_path)
    shutil.rmtree(work_dir, ignore_errors=True)
    return summary


def _model_to_train(
    resumed,
    model_cfg: ModelConfig,
    train_cfg: TrainingConfig,
    n_outputs: int,
    image_size: int,
    seed: int,
    work_dir: Path,
    initial_model: Path | None = None,
    output_bias: np.ndarray | None = None,
) -> tuple:
    """(model, optimizer, first epoch): a new model (or ``initial_model``'s weights), or the
    checkpoint's where it stopped."""
    import keras

    if resumed is None:
        shutil.rmtree(work_dir, ignore_errors=True)
        if initial_model is not None:
            model = load_model(initial_model)
        else:
            model = build_model(
                model_cfg, image_size, n_outputs, train_cfg.augment, seed, output_bias
            )
        return model, keras.optimizers.Adam(learning_rate=train_cfg.learning_rate), 0
    first_epoch = train_cfg.max_epochs if resumed.stopped else resumed.epoch + 1
    _keep_epochs_before(work_dir / "history.csv", first_epoch)
    return resumed.model, resumed.model.optimizer, first_epoch


def _constant_fit(
    model_cfg: ModelConfig,
    train_cfg: TrainingConfig,
    labels: pd.DataFrame,
    train_ids: set[int],
    val_ids: set[int],
) -> tuple[np.ndarray | None, dict]:
    """For the Dirichlet tree loss, the constant concentrations fitted to the training counts
    (:mod:`gzxai.cnn.constant`): the head's starting bias where ``output_start`` is
    ``constant_fit``, and their validation loss, the baseline the model has to beat."""
    if train_cfg.loss != "dirichlet":
        if model_cfg.output_start != "zero":
            raise ConfigError(
                f"output_start: {model_cfg.output_start} needs the dirichlet loss, not"
                f" {train_cfg.loss}"
            )
        return None, {}
    from gzxai.cnn.constant import (
        concentration_logits,
        dirichlet_multinomial_fit,
        dirichlet_multinomial_log_likelihood,
    )

    questions = tree_questions()
    counts = labels.to_numpy(np.float64)
    alpha = dirichlet_multinomial_fit(counts[labels.index.isin(train_ids)], questions)
    val = counts[labels.index.isin(val_ids)]
    baseline = float(-dirichlet_multinomial_log_likelihood(val, alpha, questions).mean())
    log.info("constant concentrations fitted to the training counts: val_loss %.4f", baseline)
    if model_cfg.output_start == "zero":
        return None, {"constant_val_loss": baseline}
    floor, scale = model_cfg.concentration_floor, model_cfg.concentration_scale
    return concentration_logits(alpha, floor, scale), {"constant_val_loss": baseline}


def _schedule(train_cfg: TrainingConfig, running_history: Path) -> list:
    """The per-epoch log, the learning-rate schedule and early stopping."""
    import keras

    return [
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
    ]


def _history_summary(history: pd.DataFrame) -> dict:
    return {
        "epochs": len(history),
        "best_epoch": int(history["val_loss"].idxmin()) + 1,
        "best_val_loss": float(history["val_loss"].min()),
    }


def _save(model, history: pd.DataFrame, model_path: Path, history_path: Path) -> None:
    with atomic_path(model_path) as tmp:
        model.save(tmp)
    with atomic_path(history_path) as tmp:
        history.to_csv(tmp, index=False)


def _keep_epochs_before(history: Path, first_epoch: int) -> None:
    """Drop from the running epoch log what a killed run logged after its last checkpoint."""
    if history.is_file():
        kept = pd.read_csv(history)
        write_csv(kept[kept["epoch"] < first_epoch], history)


def _objective(loss: str, n_label_columns: int) -> tuple:
    """(loss, number of model outputs, metrics) of a training objective.

    ``rmse``/``mse``: vote fractions, one output per label column. ``debiased``: a
    smooth/disk classifier trained on (label, flip probability) pairs with Medina's eq. (8);
    a flip probability of 0 makes it the plain cross-entropy of the naive classifier.
    ``binomial``: (k, N) of one question, a 2-way softmax (Walmsley et al. 2020 eq. 6).
    ``dirichlet``: the raw counts of every answer of the tree, one concentration each.
    """
    import keras

    if loss == "debiased":
        return debiased_likelihood_loss, 1, []
    if loss == "binomial":
        return binomial_loss, 2, []
    if loss == "dirichlet":
        return dirichlet_tree_loss, n_label_columns, []
    rmse = keras.metrics.RootMeanSquaredError(name="rmse")
    return (rmse_loss if loss == "rmse" else "mean_squared_error"), n_label_columns, [rmse]


def _deduplicated_history(path: Path) -> pd.DataFrame:
    """The epoch log; an epoch redone after a resume keeps its last record."""
    history = pd.read_csv(path)
    return history.drop_duplicates("epoch", keep="last").sort_values("epoch").reset_index(drop=True)


def load_model(model_path: str | Path, compile: bool = False):
    """A model saved by :func:`train_member` (custom layers registered, losses known)."""
    import keras

    # Registers the custom augmentation layers and the Dirichlet activation.
    import gzxai.cnn.models  # noqa: F401

    custom = {
        loss.__name__: loss
        for loss in (rmse_loss, debiased_likelihood_loss, binomial_loss, dirichlet_tree_loss)
    }
    path = Path(model_path)
    if not path.is_file():
        raise InputError(f"{path}: file not found (a model this workflow trains)")
    try:
        return keras.models.load_model(path, custom_objects=custom, compile=compile)
    except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile) as err:
        raise InputError(
            f"{path}: not a readable Keras model ({type(err).__name__}: {err}); it is truncated "
            "or corrupt: delete it and rerun, and the workflow trains it again"
        ) from err


def predict_shards(
    model_path: Path, shard_paths: Sequence[Path], batch_size: int = 256
) -> pd.DataFrame:
    """Predictions (37 columns) for every image of the shards, indexed by galaxy id."""
    model = load_model(model_path)
    frames = []
    for path in shard_paths:
        shard = read_shard(path)
        images = shard["images"].astype(np.float32) / 255.0
        predictions = model.predict(images, batch_size=batch_size, verbose=0)
        frames.append(pd.DataFrame(predictions, index=pd.Index(shard["ids"], name="galaxy_id")))
    return pd.concat(frames)
