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

from collections.abc import Sequence

import numpy as np

from gzxai.models import LOGITS_LAYER

_NOISE_STREAM = 11


def logits_model(model):
    """The model up to its pre-sigmoid scores (final activation replaced by the identity)."""
    import keras

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
    chunk: int = 64,
) -> np.ndarray:
    """SmoothGrad maps, shape (n, H, W), float32 in [0, 1], for images in [0, 1].

    ``model`` must be a :func:`logits_model`; ``target`` is the output index.
    """
    import tensorflow as tf

    images = np.asarray(images, np.float32)
    signature = [tf.TensorSpec((None, *images.shape[1:]), tf.float32)]

    @tf.function(input_signature=signature, jit_compile=False)  # XLA is slower on CPUs
    def gradients(batch):
        with tf.GradientTape() as tape:
            tape.watch(batch)
            score = model(batch, training=False)[:, target]
        return tf.abs(tape.gradient(score, batch))

    maps = np.empty(images.shape[:3], np.float32)
    for k, (image, galaxy) in enumerate(zip(images, ids, strict=True)):
        rng = np.random.default_rng([seed, _NOISE_STREAM, int(galaxy)])
        sigma = noise_level * float(image.max() - image.min())
        total = np.zeros(image.shape, np.float32)
        for start in range(0, n_samples, chunk):
            size = min(chunk, n_samples - start)
            noise = rng.standard_normal((size, *image.shape), dtype=np.float32) * sigma
            total += gradients(tf.convert_to_tensor(image[None] + noise)).numpy().sum(axis=0)
        maps[k] = _normalise(np.max(total / n_samples, axis=-1))
    return maps


def _normalise(saliency: np.ndarray) -> np.ndarray:
    span = saliency.max() - saliency.min()
    return (saliency - saliency.min()) / span if span > 0 else np.zeros_like(saliency)
