"""The synthetic survey with ground truth, written in the real sources' formats."""
