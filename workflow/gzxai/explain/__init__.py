"""Attribution maps of trained CNNs: SmoothGrad (and the CAM methods)."""
