"""gzxai: Galaxy Zoo morphology with explained CNNs.

The importable core of the gzxai Snakemake workflow: one module or subpackage per stage,
pure functions on arrays and tables at the centre, file I/O at the edges. Every stage is
callable from the command line through ``python -m gzxai <stage>``.
"""

from pathlib import Path

__version__ = "0.1.0"

#: The repository's ``resources/`` folder: small data the workflow ships (decision trees,
#: generator priors, checksums). The package is always used from a checkout of the workflow.
RESOURCES = Path(__file__).resolve().parents[2] / "resources"
