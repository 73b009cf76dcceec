"""SmoothGrad saliency maps with the semantics of the authors' tool (Bhambra et al. 2022 §3).

For one output (the bar answer, Class3.1, by default) with the final sigmoid replaced by the
identity (the model's ``logits`` layer): add Gaussian noise of σ = S_noise × (max − min) of
the image to N copies, take the absolute input gradients, average them over the copies, take
the maximum over colour channels and min–max normalise each map. Unlike the authors' tool
the noise is seeded per galaxy, so a map is reproducible whatever shard or batch it is in.

All noisy copies go through the model in batched calls (chunked to bound memory), never one
pass per sample.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from tqdm import tqdm

from gzxai.core.arrays import read_shard, write_maps
from gzxai.core.stats import min_max

_NOISE_STREAM = 11


def logits_model(model):
    """The model up to its pre-sigmoid scores (final activation replaced by the identity)."""
    import keras

    from gzxai.cnn.models import LOGITS_LAYER

    return keras.Model(model.inputs, model.get_layer(LOGITS_LAYER).output)


def smoothgrad(
    model,
    images: np.ndarray,
    ids: Sequence[int],
    *,
    target: int,
    n_samples: int,
    noise_level: float,
    seed: int,
    run: int = 1,
    chunk: int = 64,
    progress: bool = False,
) -> np.ndarray:
    """SmoothGrad maps, shape (n, H, W), float32 in [0, 1], for images in [0, 1].

    ``model`` must be a :func:`logits_model`; ``target`` is the output index. The noise of a
    galaxy depends on (seed, run, galaxy id) only: a second ``run`` is an independent
    repetition, and the same standard-normal draws serve every noise level (common random
    numbers, so noise levels are compared on equal terms).

    ``chunk`` is the number of noisy images per gradient call: the copies of
    ``chunk // n_samples`` galaxies go through the model together (a batch of 16 keeps a CPU's
    cores only partly busy), or one galaxy's copies in several calls when ``n_samples``
    exceeds it.
    """
    import tensorflow as tf

    images = np.asarray(images, np.float32)
    gradients = _gradient_function(model, target, images.shape[1:])
    maps = np.empty(images.shape[:3], np.float32)
    per_call = max(1, chunk // n_samples)
    groups = range(0, len(images), per_call)
    with tqdm(total=len(images), disable=not progress) as bar:
        for first in groups:
            group = range(first, min(first + per_call, len(images)))
            noisy = np.concatenate(
                [_noisy_copies(images[k], ids[k], n_samples, noise_level, seed, run) for k in group]
            )
            grads = np.concatenate(
                [
                    gradients(tf.convert_to_tensor(noisy[start : start + chunk])).numpy()
                    for start in range(0, len(noisy), chunk)
                ]
            )
            mean = grads.reshape(len(group), n_samples, *images.shape[1:]).sum(axis=1) / n_samples
            for k, galaxy_mean in zip(group, mean, strict=True):
                maps[k] = min_max(np.max(galaxy_mean, axis=-1))
            bar.update(len(group))
    return maps


def _noisy_copies(
    image: np.ndarray, galaxy: int, n_samples: int, noise_level: float, seed: int, run: int
) -> np.ndarray:
    """The galaxy's ``n_samples`` noisy copies, σ = ``noise_level`` × (max − min)."""
    rng = np.random.default_rng([seed, _NOISE_STREAM, run, int(galaxy)])
    sigma = noise_level * float(image.max() - image.min())
    return image[None] + rng.standard_normal((n_samples, *image.shape), dtype=np.float32) * sigma


_COMPILED: dict[tuple, tuple] = {}


def _gradient_function(model, target: int, image_shape: tuple[int, ...]):
    """|∂ score / ∂ input| of a batch, compiled once per (model, target, image shape).

    Tracing a large model costs seconds; caching keeps it to once per process.
    """
    import tensorflow as tf

    key = (id(model), target, tuple(image_shape))
    cached = _COMPILED.get(key)
    if cached is not None and cached[0] is model:
        return cached[1]
    signature = [tf.TensorSpec((None, *image_shape), tf.float32)]

    @tf.function(input_signature=signature, jit_compile=False)  # XLA is slower on CPUs
    def gradients(batch):
        with tf.GradientTape() as tape:
            tape.watch(batch)
            score = model(batch, training=False)[:, target]
        return tf.abs(tape.gradient(score, batch))

    _COMPILED[key] = (model, gradients)
    return gradients


def load_scorer(model_path: str | Path):
    """A trained model from disk, cut at its pre-sigmoid scores."""
    from gzxai.cnn.train import load_model

    return logits_model(load_model(model_path))


def saliency_shard(
    model_path: str | Path,
    shard_path: str | Path,
    out_path: str | Path,
    *,
    target: int,
    noise_levels: Sequence[float],
    n_samples: int,
    seed: int,
    run: int,
    only_ids: Iterable[int] | None = None,
    chunk: int = 64,
    progress: bool = True,
) -> int:
    """Maps of one image shard (optionally a subset of its galaxies) at each noise level.

    Written as ``ids`` (int64, n), ``noise_levels`` (float64, L) and ``maps`` (float16,
    L × n × H × W): the contract in :data:`gzxai.core.contracts.SALIENCY_MAPS`.
    """
    shard = read_shard(Path(shard_path))
    keep = np.ones(len(shard["ids"]), bool)
    if only_ids is not None:
        keep = np.isin(shard["ids"], np.fromiter(only_ids, np.int64))
    ids, images = shard["ids"][keep], shard["images"][keep].astype(np.float32) / 255.0
    scorer = load_scorer(model_path)
    maps = (
        np.stack(
            [
                smoothgrad(
                    scorer,
                    images,
                    ids,
                    target=target,
                    n_samples=n_samples,
                    noise_level=level,
                    seed=seed,
                    run=run,
                    chunk=chunk,
                    progress=progress,
                )
                for level in noise_levels
            ]
        )
        if len(ids)
        else np.zeros((len(noise_levels), 0, *images.shape[1:3]), np.float32)
    )
    write_maps(ids, noise_levels, maps, out_path)
    return len(ids)
