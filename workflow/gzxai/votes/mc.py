"""MC dropout with test-time views (Walmsley et al. 2020 §2.3, §2.5.3), batched.

T passes of a trained vote model, each with its own dropout mask and its own random view of
every galaxy, run as one compiled call on T × batch images: the images are tiled T times, the
views and masks come from stateless draws keyed to (seed, shard, batch, pass), and the trunk
runs once over all of them. The same seeds give the same samples, whatever else ran before in
the process (no generator state), and a loop of T single-pass calls with the same seeds gives
the same numbers (the benchmark checks it).

The dropout is applied here, not by the model's Dropout layer: a Keras layer draws from its own
seed-generator state, which would make the samples depend on what the process ran before.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import keras
import numpy as np

from gzxai.cnn.augment import VIEW_DRAWS, GalaxyView, galaxy_views
from gzxai.cnn.models import DROPOUT_LAYER

log = logging.getLogger(__name__)


def pass_seeds(seed: int, shard: int, batch: int, passes: int) -> np.ndarray:
    """The stateless seeds (T × 2, int64) of one batch's T passes."""
    state = np.random.SeedSequence([seed, shard, batch]).generate_state(2 * passes, np.uint32)
    return state.reshape(passes, 2).astype(np.int64)


class MonteCarlo:
    """A trained vote model (GalaxyView → trunk → Dropout → outputs) split around its dropout,
    so that T passes run as one batch."""

    def __init__(self, model):
        import tensorflow as tf

        layers = [layer for layer in model.layers if layer.name != model.layers[0].name]
        names = [layer.name for layer in layers]
        if DROPOUT_LAYER not in names or not isinstance(_view_layer(layers[0]), GalaxyView):
            raise ValueError(
                f"{model.name}: not a vote model (needs a GalaxyView first and a "
                f"{DROPOUT_LAYER!r} layer; has {', '.join(names)})"
            )
        cut = names.index(DROPOUT_LAYER)
        self.view = _view_layer(layers[0]).cfg
        self.rate = float(layers[cut].rate)
        self.trunk, self.head = layers[1:cut], layers[cut + 1 :]
        self.features = int(layers[cut].output.shape[-1])
        self.outputs = int(model.output.shape[-1])
        self._run = tf.function(self._passes)

    def _passes(self, images, seeds, dropout: bool):
        """Outputs (batch × outputs × T) of T passes on uint8 images (batch × H × W × C)."""
        import tensorflow as tf

        passes = seeds.shape[0]
        batch = tf.shape(images)[0]
        draws = tf.concat([self._draws(batch, seeds[t]) for t in range(passes)], axis=0)
        # Greyscale once, before the T copies; pass-major: row t·batch + i is galaxy i in pass t.
        tiled = tf.tile(greyscale(images), (passes, 1, 1, 1))
        x = self.forward(tiled, draws, dropout)
        return tf.transpose(tf.reshape(x, (passes, batch, self.outputs)), (1, 2, 0))

    def _draws(self, batch, seed):
        """One pass's uniform draws per galaxy: its view's, then its dropout mask's."""
        import tensorflow as tf

        return tf.random.stateless_uniform((batch, VIEW_DRAWS + self.features), seed=seed)

    def forward(self, images, draws, dropout: bool = True):
        """One pass of each greyscale image with its own draws (images × (7 + features))."""
        import tensorflow as tf

        x = galaxy_views(images, draws[:, :VIEW_DRAWS], self.view)
        for layer in self.trunk:
            x = layer(x, training=False)
        if dropout:
            keep = draws[:, VIEW_DRAWS:] >= self.rate
            x = tf.where(keep, x / (1.0 - self.rate), tf.zeros_like(x))
        for layer in self.head:
            x = layer(x, training=False)
        return x

    def samples(self, images: np.ndarray, seeds: np.ndarray) -> np.ndarray:
        """T = len(seeds) MC samples (batch × outputs × T, float32) in one compiled call."""
        return self._run(images, np.asarray(seeds, np.int64), True).numpy()

    def single(self, images: np.ndarray, seed: np.ndarray) -> np.ndarray:
        """The single network (dropout off) on one view per galaxy (batch × outputs): the
        posterior "without MC dropout" of the paper."""
        return self._run(images, np.asarray(seed, np.int64)[None], False).numpy()[:, :, 0]

    def looped_samples(
        self, images: np.ndarray, batch_seeds: np.ndarray, batch_size: int
    ) -> np.ndarray:
        """The samples :meth:`samples` gives batch by batch (``batch_seeds``: one T × 2 array
        per batch of ``batch_size`` galaxies), from T ``model.predict`` calls over all the
        galaxies, one per pass, each with that pass's draws: the benchmark's reference."""
        image = keras.Input(images.shape[1:], dtype="uint8")
        draws = keras.Input((VIEW_DRAWS + self.features,))
        one_pass = keras.Model([image, draws], _OnePass(self)([image, draws]))
        starts = range(0, len(images), batch_size)
        passes = []
        for t in range(len(batch_seeds[0])):
            pass_draws = np.concatenate(
                [
                    self._draws(len(images[i : i + batch_size]), batch_seeds[b][t]).numpy()
                    for b, i in enumerate(starts)
                ]
            )
            passes.append(one_pass.predict([images, pass_draws], batch_size=batch_size, verbose=0))
        return np.stack(passes, axis=2)


class _OnePass(keras.layers.Layer):
    """:meth:`MonteCarlo.forward` as a layer, so that ``predict`` can run it."""

    def __init__(self, mc: MonteCarlo, **kwargs):
        super().__init__(**kwargs)
        self.mc = mc

    def call(self, inputs):
        return self.mc.forward(greyscale(inputs[0]), inputs[1])

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], self.mc.outputs)


def greyscale(images):
    """uint8 images (batch × H × W × C) as greyscale in [0, 1] (batch × H × W × 1)."""
    import tensorflow as tf

    return tf.reduce_mean(tf.cast(images, tf.float32), axis=-1, keepdims=True) / 255.0


def _view_layer(layer):
    """The GalaxyView of the model's augmentation block (a Sequential of one layer)."""
    inner = getattr(layer, "layers", None)
    return inner[0] if inner else layer


def shard_samples(
    mc: MonteCarlo, images: np.ndarray, *, seed: int, shard: int, passes: int, batch_size: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(MC samples, single-network outputs) of a shard's images, batch by batch."""
    for batch, start in enumerate(range(0, len(images), batch_size)):
        chunk = images[start : start + batch_size]
        seeds = pass_seeds(seed, shard, batch, passes)
        yield mc.samples(chunk, seeds), mc.single(chunk, seeds[0])


def predict_shard(
    model_path: str | Path, shard_path: str | Path, shard: int, settings, out: str | Path
) -> int:
    """Write the MC samples and single-network outputs of every galaxy of one shard
    (:data:`gzxai.core.contracts.VOTE_SAMPLES`); returns how many galaxies."""
    from gzxai.cnn.train import load_model
    from gzxai.core.arrays import read_shard, write_vote_samples

    mc = MonteCarlo(load_model(model_path))
    arrays = read_shard(shard_path)
    samples, single = [], []
    batches = shard_samples(
        mc,
        arrays["images"],
        seed=settings.seed,
        shard=shard,
        passes=settings.passes,
        batch_size=settings.batch_size,
    )
    for done, (batch_samples, batch_single) in enumerate(batches, start=1):
        samples.append(batch_samples)
        single.append(batch_single)
        log.info("batch %d: %d galaxies × %d passes", done, len(batch_samples), settings.passes)
    n_outputs = mc.outputs
    write_vote_samples(
        arrays["ids"],
        np.concatenate(samples) if samples else np.zeros((0, n_outputs, settings.passes)),
        np.concatenate(single) if single else np.zeros((0, n_outputs)),
        out,
    )
    return len(arrays["ids"])
