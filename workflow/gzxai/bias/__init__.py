"""The resolution labelling bias: θ, the label CV metrics, the naive and debiased
classifiers."""
