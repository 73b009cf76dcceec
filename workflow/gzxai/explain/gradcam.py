"""Class-activation maps from the gradients of a model's last convolutional features:
Grad-CAM (Selvaraju et al. 2017) and HiResCAM (Draelos & Carin 2021).

Both weigh the backbone's last feature maps A_k by the gradient of a score y:

- Grad-CAM: ReLU(Σ_k mean_ij(∂y/∂A_k) · A_k), one weight per channel;
- HiResCAM: ReLU(Σ_k ∂y/∂A_k ⊙ A_k), the gradient kept at every position, so that the map
  shows what the score actually used (for a model whose head is a dense layer on the
  flattened features, Grad-CAM's spatial average can point elsewhere).

No maintained Keras 3 package computes HiResCAM (tf-keras-vis has Grad-CAM and Grad-CAM++
only), so both are written here with ``tf.GradientTape``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

METHODS = ("gradcam", "hirescam")


def split_at_backbone(model) -> tuple[list, object, list]:
    """(layers before the backbone, the backbone, layers after it) of a gzxai model."""
    index = next(
        i for i, layer in enumerate(model.layers)
        if hasattr(layer, "layers") and layer.name != "augmentation"
    )  # fmt: skip
    before = [layer for layer in model.layers[1:index]]
    return before, model.layers[index], model.layers[index + 1 :]


def activation_maps(
    model,
    images: np.ndarray,
    score: Callable,
    *,
    method: str = "hirescam",
    through_output: bool = True,
    batch_size: int = 64,
) -> tuple[np.ndarray, np.ndarray]:
    """Maps (n, H, W) for the increase and for the decrease of ``score`` (a function of the
    head's output batch returning one value per image), at the backbone's input size, each
    scaled to a maximum of 1 (all zero where nothing raises the score).

    Layers before the backbone (augmentation, a vote model's view) run in inference mode, and
    so does dropout. ``through_output=False`` stops before the final activation (the score
    then sees the logits).
    """
    import tensorflow as tf

    if method not in METHODS:
        raise ValueError(f"unknown CAM method {method!r}; choose one of {', '.join(METHODS)}")
    before, backbone, after = split_at_backbone(model)
    head = [layer for layer in after if through_output or layer.name != "votes"]
    maps: dict[int, list[np.ndarray]] = {1: [], -1: []}
    for start in range(0, len(images), batch_size):
        x = tf.convert_to_tensor(images[start : start + batch_size], tf.float32)
        for layer in before:
            x = layer(x, training=False)
        with tf.GradientTape(persistent=True) as tape:
            features = backbone(x, training=False)
            tape.watch(features)
            y = features
            for layer in head:
                y = layer(y, training=False)
            value = score(y)
            scores = {1: value, -1: -value}
        for sign, target in scores.items():
            grads = tape.gradient(target, features)
            if method == "gradcam":
                grads = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)
            cam = tf.nn.relu(tf.reduce_sum(grads * features, axis=-1, keepdims=True))
            cam = tf.image.resize(cam, x.shape[1:3])[..., 0]
            peak = tf.reduce_max(cam, axis=(1, 2), keepdims=True)
            maps[sign].append((cam / tf.where(peak > 0, peak, 1.0)).numpy())
        del tape
    return np.concatenate(maps[1]), np.concatenate(maps[-1])


def grad_cam(model, images: np.ndarray, batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Grad-CAM maps of a one-output classifier for both classes, at the image size: the
    smooth-class map from the gradients of the logit, the disk-class map of its negative."""
    return activation_maps(
        model,
        images,
        lambda logits: logits[:, 0],
        method="gradcam",
        through_output=False,
        batch_size=batch_size,
    )
