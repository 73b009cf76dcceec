"""Parameter studies, benchmarks and run times."""
