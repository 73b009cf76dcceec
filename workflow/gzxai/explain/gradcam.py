"""Grad-CAM (Selvaraju et al. 2017): class-activation maps of a one-output classifier from
the gradients of its last convolutional features."""

from __future__ import annotations

import numpy as np


def grad_cam(model, images: np.ndarray, batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Grad-CAM maps of a one-output classifier for both classes, at the image size.

    The smooth-class map takes gradients of the logit, the disk-class map of its negative;
    each map is the ReLU of the gradient-weighted sum of the backbone's last feature maps,
    scaled to a maximum of 1.
    """
    import tensorflow as tf

    backbone_index = next(
        i for i, layer in enumerate(model.layers)
        if hasattr(layer, "layers") and layer.name != "augmentation"
    )  # fmt: skip
    backbone = model.layers[backbone_index]
    head = [layer for layer in model.layers[backbone_index + 1 :] if layer.name != "votes"]
    maps = {1: [], -1: []}
    for start in range(0, len(images), batch_size):
        x = tf.convert_to_tensor(images[start : start + batch_size], tf.float32)
        with tf.GradientTape(persistent=True) as tape:
            features = backbone(x, training=False)
            tape.watch(features)
            y = features
            for layer in head:
                y = layer(y, training=False)
            logit = y[:, 0]
            scores = {1: logit, -1: -logit}
        for sign, score in scores.items():
            grads = tape.gradient(score, features)
            weights = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)
            cam = tf.nn.relu(tf.reduce_sum(weights * features, axis=-1, keepdims=True))
            cam = tf.image.resize(cam, images.shape[1:3])[..., 0]
            peak = tf.reduce_max(cam, axis=(1, 2), keepdims=True)
            maps[sign].append((cam / tf.where(peak > 0, peak, 1.0)).numpy())
        del tape
    return np.concatenate(maps[1]), np.concatenate(maps[-1])
