"""Active learning: BALD acquisition from MC-dropout posteriors and the simulated Galaxy Zoo
campaign (Walmsley et al. 2020 §3)."""
