"""Epoch checkpoints that make a killed training run resume exactly where it stopped.

After every epoch the whole training state is written, atomically, to ``<work>/checkpoint``:
the model with its optimizer (learning rate included), the states of the random layers'
seed generators (Keras does not save them with the model), the state of the early-stopping
and learning-rate callbacks (best value, patience counters, best weights) and the epoch.
With the data order a function of (seed, epoch) (:class:`gzxai.cnn.train.ShardStream`), the
resumed run then computes what the uninterrupted one would have, bit for bit.

A checkpoint is used only if its fingerprint (a digest of the settings, the data and the
code that produced it) equals the current one; a mismatched or unreadable checkpoint is
discarded with a log line that says why, and training starts over.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

log = logging.getLogger(__name__)

STATE = "state.json"
MODEL = "model.keras"
SEEDS = "seed_states.npz"
BEST = "best_weights.npz"
#: Attributes of the callbacks whose values decide the rest of a run.
CALLBACK_FIELDS = {
    "EarlyStopping": ("wait", "best", "best_epoch", "stopped_epoch"),
    "ReduceLROnPlateau": ("wait", "best", "cooldown_counter"),
}


def seed_states(model: keras.Model) -> list:
    """The seed-generator state variables of a model's random layers, in a fixed order."""
    return [v for v in model.variables if v.path.endswith("seed_generator_state")]


@dataclass
class Resumed:
    """What a checkpoint restores: the model (compiled, optimizer state included), the last
    finished epoch, the callbacks' states and whether early stopping had already stopped."""

    model: keras.Model
    epoch: int
    callbacks: dict
    best_weights: list[np.ndarray] | None

    @property
    def stopped(self) -> bool:
        return int(self.callbacks.get("EarlyStopping", {}).get("stopped_epoch") or 0) > 0


def load(work_dir: Path, fingerprint: str, loader: Callable[[Path], keras.Model]) -> Resumed | None:
    """The checkpoint in ``work_dir`` if it was made by the same settings, data and code;
    otherwise None, after saying why (the caller starts over)."""
    folder = _current(work_dir)
    if folder is None:
        return None
    try:
        state = json.loads((folder / STATE).read_text())
    except (OSError, ValueError) as err:
        log.warning("discarding the checkpoint in %s: its state is unreadable (%s)", folder, err)
        return None
    if state.get("fingerprint") != fingerprint:
        log.warning(
            "discarding the checkpoint in %s: it was made by other settings, data or code "
            "(fingerprint %s, now %s); training starts over",
            folder,
            state.get("fingerprint"),
            fingerprint,
        )
        return None
    try:
        model = loader(folder / MODEL)
        with np.load(folder / SEEDS) as seeds:
            states = [seeds[f"arr_{i}"] for i in range(len(seeds.files))]
        for variable, value in zip(seed_states(model), states, strict=True):
            variable.assign(value)
        best = None
        if (folder / BEST).is_file():
            with np.load(folder / BEST) as saved:
                best = [saved[f"arr_{i}"] for i in range(len(saved.files))]
    except Exception as err:  # any failure to restore means: do not trust it
        log.warning(
            "discarding the checkpoint in %s: it cannot be restored (%s: %s); training starts over",
            folder,
            type(err).__name__,
            err,
        )
        return None
    log.info("resuming after epoch %d from %s", state["epoch"] + 1, folder)
    return Resumed(model, int(state["epoch"]), state["callbacks"], best)


def _current(work_dir: Path) -> Path | None:
    """The newest complete checkpoint folder: ``checkpoint``, or ``checkpoint.old`` when a
    kill came between the two renames that replace it."""
    for name in ("checkpoint", "checkpoint.old"):
        if (work_dir / name / STATE).is_file():
            return work_dir / name
    return None


class EpochCheckpoint(keras.callbacks.Callback):
    """Writes the training state after every epoch; restores the callbacks' states at the
    start of a resumed run. Must come after the callbacks whose state it saves."""

    def __init__(self, work_dir: Path, fingerprint: str, resumed: Resumed | None = None):
        super().__init__()
        self.work_dir, self.fingerprint, self.resumed = Path(work_dir), fingerprint, resumed
        self.watched: list[keras.callbacks.Callback] = []

    def watch(self, callbacks: list) -> None:
        self.watched = [c for c in callbacks if type(c).__name__ in CALLBACK_FIELDS]

    def on_train_begin(self, logs=None) -> None:
        # The watched callbacks reset themselves in their own on_train_begin, which ran first.
        if self.resumed is None:
            return
        for callback in self.watched:
            for name, value in self.resumed.callbacks.get(type(callback).__name__, {}).items():
                setattr(callback, name, value)
            if isinstance(callback, keras.callbacks.EarlyStopping):
                callback.best_weights = self.resumed.best_weights

    def on_epoch_end(self, epoch, logs=None) -> None:
        tmp = self.work_dir / "checkpoint.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        self.model.save(tmp / MODEL)
        np.savez(tmp / SEEDS, *[np.asarray(v.numpy()) for v in seed_states(self.model)])
        states = {}
        for callback in self.watched:
            fields = CALLBACK_FIELDS[type(callback).__name__]
            states[type(callback).__name__] = {f: _plain(getattr(callback, f)) for f in fields}
            best = getattr(callback, "best_weights", None)
            if best is not None:
                np.savez(tmp / BEST, *best)
        state = {"fingerprint": self.fingerprint, "epoch": int(epoch), "callbacks": states}
        # state.json last: a folder without it is incomplete and never loaded.
        (tmp / STATE).write_text(json.dumps(state, indent=2))
        current, old = self.work_dir / "checkpoint", self.work_dir / "checkpoint.old"
        shutil.rmtree(old, ignore_errors=True)
        if current.exists():
            current.rename(old)
        tmp.rename(current)
        shutil.rmtree(old, ignore_errors=True)


def _plain(value):
    """A callback attribute as JSON (numpy scalars to Python, None and inf kept)."""
    if value is None:
        return None
    if isinstance(value, (np.generic, float, int)):
        return float(value) if isinstance(value, (float, np.floating)) else int(value)
    return float(np.asarray(value))
