"""What every stage shares: files, errors, configuration, units, trees, contracts.

numpy, pandas, scipy and astropy only: never Keras or TensorFlow (the analysis
environment's rules import it)."""
