import json

import numpy as np
import pandas as pd
import pytest

from gzxai.cnn import train as train_module
from gzxai.cnn.augment import AugmentConfig
from gzxai.cnn.models import ModelConfig
from gzxai.cnn.train import (
    ShardStream,
    TrainingConfig,
    load_model,
    predict_shards,
    train_member,
)
from gzxai.core.config import member_training

keras = pytest.importorskip("keras")


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
    """Raises in the middle of the given epoch (at its first batch hook: several steps run per
    compiled call, so there may be only one), as a killed job would stop."""

    def __init__(self, epoch: int):
        super().__init__()
        self.epoch = epoch
        self.current = -1

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.current == self.epoch:
            raise KilledError


def training_run(tiny_shards, folder, **changes):
    """train_member's arguments for a 5-epoch run on the tiny shards, outputs in ``folder``;
    patiences of 1 so that the learning rate and early stopping act within the run."""
    paths, labels, _ = tiny_shards
    ids = labels.index.to_numpy()
    splits = pd.Series(np.where(ids % 5 == 0, "val", "train"), index=ids)
    settings = dict(
        batch_size=8, max_epochs=5, learning_rate=1e-3, loss="rmse", reduce_lr_factor=0.5,
        reduce_lr_patience=1, early_stopping_patience=3, shuffle_buffer=32,
        augment=AugmentConfig(),
    )  # fmt: skip
    settings.update(changes)
    return dict(
        model_cfg=ModelConfig("vgg_compact", head_units=(8,), width=4),
        train_cfg=TrainingConfig(**settings),
        shard_paths=paths,
        labels=labels,
        splits=splits,
        image_size=16,
        seed=3,
        work_dir=folder / "work",
        model_path=folder / "model.keras",
        history_path=folder / "history.csv",
        summary_path=folder / "training.json",
    )


def weights_of(path):
    return [np.asarray(w) for w in load_model(path).get_weights()]


def test_a_killed_training_resumes_and_ends_as_the_uninterrupted_run(tiny_shards, tmp_path):
    whole = training_run(tiny_shards, tmp_path / "whole")
    assert train_member(**whole)["resumed"] is False

    run = training_run(tiny_shards, tmp_path / "killed")
    with pytest.raises(KilledError):
        train_member(**run, extra_callbacks=[KillMidEpoch(epoch=2)])
    assert not any(run[k].exists() for k in ("model_path", "history_path", "summary_path"))
    state = json.loads((run["work_dir"] / "checkpoint" / "state.json").read_text())
    assert state["epoch"] == 1  # epochs 0 and 1 finished
    assert pd.read_csv(run["work_dir"] / "history.csv")["epoch"].tolist() == [0, 1]

    summary = train_member(**run)
    assert summary["resumed"] is True
    assert not run["work_dir"].exists()
    for expected, resumed in zip(weights_of(whole["model_path"]), weights_of(run["model_path"]),
                                 strict=True):  # fmt: skip
        np.testing.assert_array_equal(resumed, expected)
    pd.testing.assert_frame_equal(
        pd.read_csv(run["history_path"]), pd.read_csv(whole["history_path"])
    )
    predictions = predict_shards(run["model_path"], tiny_shards[0])
    assert predictions.shape == (80, 37)
    pd.testing.assert_frame_equal(predictions, predict_shards(whole["model_path"], tiny_shards[0]))


def test_several_steps_per_compiled_call_train_exactly_as_one_step_per_call(
    tiny_shards, tmp_path, monkeypatch
):
    grouped = training_run(tiny_shards, tmp_path / "grouped")
    assert train_module.steps_per_execution(8) > 1
    train_member(**grouped)
    monkeypatch.setattr(train_module, "IMAGES_PER_EXECUTION", 8)
    assert train_module.steps_per_execution(8) == 1
    single = training_run(tiny_shards, tmp_path / "single")
    train_member(**single)
    for a, b in zip(weights_of(grouped["model_path"]), weights_of(single["model_path"]),
                    strict=True):  # fmt: skip
        np.testing.assert_array_equal(a, b)
    pd.testing.assert_frame_equal(
        pd.read_csv(grouped["history_path"]), pd.read_csv(single["history_path"])
    )


def test_a_checkpoint_of_other_settings_is_discarded_and_training_starts_over(
    tiny_shards, tmp_path, caplog
):
    run = training_run(tiny_shards, tmp_path / "run")
    with pytest.raises(KilledError):
        train_member(**run, extra_callbacks=[KillMidEpoch(epoch=1)])
    changed = training_run(tiny_shards, tmp_path / "run", learning_rate=5e-4)
    with caplog.at_level("WARNING"):
        summary = train_member(**changed)
    assert summary["resumed"] is False
    assert "made by other settings, data or code" in caplog.text
    assert pd.read_csv(changed["history_path"])["epoch"].tolist() == [0, 1, 2, 3, 4]


def test_an_unreadable_checkpoint_is_discarded_not_fatal(tiny_shards, tmp_path, caplog):
    run = training_run(tiny_shards, tmp_path / "run", max_epochs=2)
    with pytest.raises(KilledError):
        train_member(**run, extra_callbacks=[KillMidEpoch(epoch=1)])
    model = run["work_dir"] / "checkpoint" / "model.keras"
    model.write_bytes(model.read_bytes()[:1000])  # as a full disk leaves it
    with caplog.at_level("WARNING"):
        summary = train_member(**run)
    assert summary["resumed"] is False and summary["epochs"] == 2
    assert "cannot be restored" in caplog.text


class KillAtTheEnd(keras.callbacks.Callback):
    """Raises after the last epoch's checkpoint, before the job writes its outputs."""

    def on_train_end(self, logs=None):
        raise KilledError


def test_a_run_killed_after_early_stopping_is_not_trained_further(tiny_shards, tmp_path):
    stopping = {"early_stopping_patience": 1, "reduce_lr_patience": 5, "max_epochs": 8}
    whole = training_run(tiny_shards, tmp_path / "whole", **stopping)
    epochs = train_member(**whole)["epochs"]
    assert epochs < 8  # it did stop early

    run = training_run(tiny_shards, tmp_path / "killed", **stopping)
    with pytest.raises(KilledError):
        train_member(**run, extra_callbacks=[KillAtTheEnd()])
    summary = train_member(**run)
    assert summary["resumed"] is True and summary["epochs"] == epochs
    for expected, resumed in zip(weights_of(whole["model_path"]), weights_of(run["model_path"]),
                                 strict=True):  # fmt: skip
        np.testing.assert_array_equal(resumed, expected)


def tree_counts(labels: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Vote counts for every answer of the tree, each question's votes split by a draw from
    a Dirichlet of concentration 0.5: volunteers who mostly agree, as on the sky."""
    from gzxai.cnn.losses import tree_questions

    rng = np.random.default_rng(seed)
    counts = np.zeros(labels.shape)
    for answers in tree_questions():
        width = answers.stop - answers.start
        shares = rng.dirichlet(np.full(width, 0.5), len(labels))
        counts[:, answers] = [rng.multinomial(20, p) for p in shares]
    return pd.DataFrame(counts.astype("float32"), index=labels.index)


@pytest.mark.parametrize("start", ["zero", "constant_fit"])
def test_the_tree_head_starts_at_the_constant_fit_of_the_training_counts(
    tiny_shards, tmp_path, start
):
    paths, labels, images = tiny_shards
    run = training_run(
        (paths, tree_counts(labels), images), tmp_path / start,
        loss="dirichlet", max_epochs=1, learning_rate=1e-9,
    )  # fmt: skip
    run["model_cfg"] = ModelConfig(
        "walmsley", head_units=(8,), width=4, output="dirichlet", dropout=0.5,
        concentration_floor=0.01, output_start=start,
    )  # fmt: skip
    summary = train_member(**run)
    baseline, first = summary["constant_val_loss"], pd.read_csv(run["history_path"])["val_loss"][0]
    if start == "constant_fit":  # nothing learnt yet: the loss is the constant's, give or take
        assert first == pytest.approx(baseline, rel=0.1)  # the random kernel of the head
    else:  # every concentration 50: these volunteers agree far more than that allows
        assert first > 1.5 * baseline


def test_only_the_dirichlet_loss_has_a_constant_fit_to_start_from(tiny_shards, tmp_path):
    from gzxai.core.errors import ConfigError

    run = training_run(tiny_shards, tmp_path)
    run["model_cfg"] = ModelConfig("vgg_compact", head_units=(8,), width=4,
                                   output_start="constant_fit")  # fmt: skip
    with pytest.raises(ConfigError, match="output_start: constant_fit needs the dirichlet loss"):
        train_member(**run)
