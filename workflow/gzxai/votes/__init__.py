"""Bayesian vote models (Walmsley et al. 2020): vote counts as targets, posteriors for what
volunteers would say, and their calibration."""
