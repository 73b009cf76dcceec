"""The CNNs: architectures, augmentation, losses, training and prediction (Keras)."""
