"""Train / validation / test splits, each written once to a file by one rule."""
