"""The training objectives, as Keras ops: the paper's RMSE over the 37 vote fractions, the
debiased likelihood of the smooth/disk classifiers (Medina eq. 8), and the vote models'
binomial and Dirichlet-multinomial likelihoods of raw counts (Walmsley et al. 2020, 2022).

The Dirichlet-multinomial is written with ``lgamma``: tensorflow-probability has it, but needs
``tf-keras``, which pulls in a second full TensorFlow wheel beside the pinned one.
"""

from __future__ import annotations

import functools


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


def _lgamma(x):
    import tensorflow as tf

    return tf.math.lgamma(x)


def binomial_log_likelihood(k, n, rho):
    """log Bin(k | ρ, N), exact (Walmsley et al. 2020 eq. 6), elementwise.

    ``rho`` is clipped to [1e-7, 1 − 1e-7] so that a certain prediction costs a finite
    amount; everything is computed in ``rho``'s dtype.
    """
    from keras import ops

    rho = ops.clip(rho, 1e-7, 1 - 1e-7)
    k, n = ops.cast(k, rho.dtype), ops.cast(n, rho.dtype)
    log_choose = _lgamma(n + 1) - _lgamma(k + 1) - _lgamma(n - k + 1)
    return log_choose + k * ops.log(rho) + (n - k) * ops.log1p(-rho)


def binomial_loss(y_true, y_pred):
    """Mean −log Bin(k | ρ̂, N) over the batch: ``y_true`` holds (k, N), ``y_pred``'s first
    column is ρ̂ (the first output of the 2-way softmax)."""
    from keras import ops

    return -ops.mean(binomial_log_likelihood(y_true[:, 0], y_true[:, 1], y_pred[:, 0]))


def dirichlet_concentrations(logits, floor: float = 1.0, scale: float = 100.0):
    """Concentrations floor + scale·sigmoid(logits), in (floor, floor + scale): never zero,
    never infinite. Walmsley et al. 2022 (Zoobot) use floor 1, scale 100."""
    from keras import ops

    return floor + scale * ops.sigmoid(logits)


def dirichlet_multinomial_log_likelihood(counts, concentrations, questions):
    """Σ_q log DirMult(k_q | N_q, α_q) per galaxy over the questions of the tree.

    ``counts`` and ``concentrations``: galaxies × answers in tree order; ``questions``: the
    answer slices of each question (:meth:`gzxai.core.trees.DecisionTree.answer_slices`). A
    question nobody was asked (N_q = 0) contributes log 1 = 0, as the formula gives.
    """
    from keras import ops

    counts = ops.cast(counts, concentrations.dtype)
    total = 0.0
    for answers in questions:
        k, alpha = counts[:, answers], concentrations[:, answers]
        n, alpha_sum = ops.sum(k, axis=1), ops.sum(alpha, axis=1)
        total = total + (
            _lgamma(n + 1)
            - ops.sum(_lgamma(k + 1), axis=1)
            + _lgamma(alpha_sum)
            - _lgamma(n + alpha_sum)
            + ops.sum(_lgamma(k + alpha) - _lgamma(alpha), axis=1)
        )
    return total


@functools.cache
def tree_questions() -> tuple[slice, ...]:
    """The answer slices of each question of the GZ2 tree, in tree order."""
    from gzxai.core.trees import load_tree

    return tuple(load_tree().answer_slices().values())


def dirichlet_tree_loss(y_true, y_pred):
    """Mean −Σ_q log DirMult(k_q | N_q, α_q) over the batch: ``y_true`` holds the raw counts of
    the 37 answers of the GZ2 tree, ``y_pred`` the concentrations, both in tree order."""
    from keras import ops

    return -ops.mean(dirichlet_multinomial_log_likelihood(y_true, y_pred, tree_questions()))
