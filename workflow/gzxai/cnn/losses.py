"""The training objectives, as Keras ops: the paper's RMSE over the 37 vote fractions and
the debiased likelihood of the smooth/disk classifiers (Medina eq. 8)."""

from __future__ import annotations


def rmse_loss(y_true, y_pred):
    """Root mean squared error over the batch and all 37 outputs (the paper's loss)."""
    from keras import ops

    return ops.sqrt(ops.mean(ops.square(ops.cast(y_true, y_pred.dtype) - y_pred)))


def debiased_likelihood_loss(y_true, p_smooth):
    """Negative log of Medina eq. (8) for a smooth/disk classifier, averaged over the batch.

    ``y_true`` holds two columns: the biased label (1 smooth, 0 disk) and the galaxy's flip
    probability b = exp(−α²/2θ²). With p = p(smooth | x): p(ỹ = smooth) = p + (1 − p)·b and
    p(ỹ = disk) = (1 − p)(1 − b). With b = 0 it is the plain binary cross-entropy.
    """
    from keras import ops

    label = ops.cast(y_true[:, 0], p_smooth.dtype)
    flip = ops.cast(y_true[:, 1], p_smooth.dtype)
    p = ops.clip(ops.reshape(p_smooth, (-1,)), 1e-7, 1 - 1e-7)
    smooth = p + (1 - p) * flip
    disk = (1 - p) * (1 - flip)
    return -ops.mean(
        label * ops.log(ops.maximum(smooth, 1e-7)) + (1 - label) * ops.log(ops.maximum(disk, 1e-7))
    )
