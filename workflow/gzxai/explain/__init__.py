"""Attribution maps of trained CNNs: SmoothGrad, Grad-CAM and HiResCAM, and their sanity
checks."""

import os


def cam_safe_kernels() -> None:
    """Turn TensorFlow's oneDNN CPU kernels off for this process, before TensorFlow is
    imported: TensorFlow 2.21's can abort ("double free") on gradients through small
    convolutions for some batch sizes, and the CAMs take gradients of intermediate feature
    maps. Input gradients alone (SmoothGrad) keep them: about 2x faster here."""
    os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
