"""Sanity checks for saliency maps (Adebayo et al. 2018): cascading model-parameter
randomisation.

From the output layer down, one weighted layer after another is re-initialised with its own
initialiser (the randomisation accumulates: at depth d the top d layers are random). A map
method that explains the model must change as the model is destroyed; one whose maps stay
alike (an edge detector in disguise) fails. Maps are compared with the Spearman rank
correlation, of the maps and of their absolute values, and with SSIM.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from scipy import ndimage, stats

#: A variable's name → the layer attributes that may hold its initialiser.
_INITIALISERS = {
    "kernel": ("kernel_initializer",),
    "bias": ("bias_initializer",),
    "depthwise_kernel": ("depthwise_initializer",),
    "pointwise_kernel": ("pointwise_initializer",),
    "gamma": ("gamma_initializer",),
    "beta": ("beta_initializer",),
    "moving_mean": ("moving_mean_initializer",),
    "moving_variance": ("moving_variance_initializer",),
}


def weighted_layers(model) -> list:
    """The layers that hold weights, nested models opened, in the order data flows."""
    found = []
    for layer in model.layers:
        if hasattr(layer, "layers"):
            found.extend(weighted_layers(layer))
        elif layer.weights:
            found.append(layer)
    return found


def reinitialise(layer, seed: int) -> None:
    """Draw every weight of ``layer`` again from the initialiser it was built with."""
    import keras

    for k, variable in enumerate(layer.weights):
        name = variable.path.split("/")[-1]
        attribute = next((a for a in _INITIALISERS.get(name, ()) if hasattr(layer, a)), None)
        if attribute is None:
            raise ValueError(f"layer {layer.name!r}: no initialiser known for its weight {name!r}")
        initialiser = getattr(layer, attribute)
        config = initialiser.get_config()
        if "seed" in config:
            config["seed"] = seed * 1000 + k
        fresh = type(initialiser).from_config(config)
        variable.assign(keras.ops.cast(fresh(variable.shape), variable.dtype))


def cascade(model, seed: int) -> Iterator[tuple[str, object]]:
    """(name of the layer just randomised, the model so far randomised) from the output layer
    down; ``model`` itself is left as it is (the steps work on one copy)."""
    import keras

    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    for depth, layer in enumerate(reversed(weighted_layers(copy))):
        reinitialise(layer, seed + depth)
        yield layer.name, copy


def spearman(a: np.ndarray, b: np.ndarray, absolute: bool = False) -> float:
    """Rank correlation of two maps' pixels (NaN when one map is constant)."""
    x, y = np.ravel(a), np.ravel(b)
    if absolute:
        x, y = np.abs(x), np.abs(y)
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(stats.spearmanr(x, y).statistic)


def ssim(a: np.ndarray, b: np.ndarray, window: int = 7) -> float:
    """Mean structural similarity (Wang et al. 2004) of two maps scaled to [0, 1], with a
    uniform window as in scikit-image's default (not a dependency for this one function)."""
    a, b = _unit(a), _unit(b)
    c1, c2 = 0.01**2, 0.03**2
    mean_a, mean_b = ndimage.uniform_filter(a, window), ndimage.uniform_filter(b, window)
    n = window * window
    correction = n / (n - 1)  # sample (co)variances, as scikit-image
    var_a = (ndimage.uniform_filter(a * a, window) - mean_a**2) * correction
    var_b = (ndimage.uniform_filter(b * b, window) - mean_b**2) * correction
    cov = (ndimage.uniform_filter(a * b, window) - mean_a * mean_b) * correction
    index = ((2 * mean_a * mean_b + c1) * (2 * cov + c2)) / (
        (mean_a**2 + mean_b**2 + c1) * (var_a + var_b + c2)
    )
    pad = window // 2
    return float(index[pad:-pad, pad:-pad].mean())


def _unit(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image, np.float64)
    span = np.ptp(image)
    return (image - image.min()) / span if span > 0 else np.zeros_like(image)
