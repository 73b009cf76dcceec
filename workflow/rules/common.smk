# What every stage's rules share: the validated configuration, the source layout, the
# software environments, and the paths of the files that cross stages. Each stage's own
# settings are built in its rule file from its package's settings module.
from pathlib import Path

from gzxai.cli import command_code
from gzxai.active.files import summaries as active_summaries
from gzxai.core import paths
from gzxai.core.paths import image_index, split_file
from gzxai.core.contracts import CANONICAL_TABLES
from gzxai.core.config import check, export_job_environment, source_root
from gzxai.core.errors import ConfigError
from gzxai.core.layout import SourceLayout

try:
    check(config)
except ConfigError as err:
    raise WorkflowError(f"Invalid configuration: {err}") from None

export_job_environment(PACKAGE_DIR)
SOURCES = SourceLayout(source_root(config))
SYNTHETIC = config["source"] == "synthetic"
# The synthetic survey's truth: the stages that can compare with it read it.
TRUTH = str(SOURCES.truth) if SYNTHETIC else None
CATALOGUES = list(CANONICAL_TABLES)
MEMBERS = list(config["members"])
MEMBER_PATTERN = "|".join(MEMBERS)
ENV = "../../envs/gzxai.yaml"
TF_ENV = "../../envs/tensorflow.yaml"
FETCH_ENV = "../../envs/fetch.yaml"
# Apptainer images (--software-deployment-method apptainer): built from containers/*.def
# next to their definition files unless the config names an image (path or URI).
CONTAINERS_DIR = Path(PACKAGE_DIR).parent / "containers"
ANALYSIS_IMAGE = config["containers"]["analysis"] or str(CONTAINERS_DIR / "gzxai.sif")
TF_IMAGE = config["containers"]["tensorflow"] or str(CONTAINERS_DIR / "tensorflow.sif")
# Threads of every TensorFlow job (config/README.md, `threads`).
TF_THREADS = config["threads"]["tensorflow"]
# Campaign iterations train small models on small batches: one thread each, two side by side.
ACTIVE_THREADS = config["threads"].get("active_iteration") or TF_THREADS


def shard_paths(dataset):
    return paths.shard_paths(config, dataset)


def synthetic_only(**outputs):
    """Named outputs that only the synthetic survey can make (they need the truth)."""
    return outputs if SYNTHETIC else {}


def optional_argument(name):
    """``--name path`` when the job has that input (e.g. the synthetic truth), else nothing."""
    return lambda wildcards, input: (
        f"--{name} {input[name]}" if name in input.keys() else ""
    )


def final_outputs():
    outputs = expand("results/catalogues/{table}.parquet", table=CATALOGUES)
    outputs += expand("results/catalogues/{table}.summary.json", table=CATALOGUES)
    for dataset in CATALOGUES:
        outputs += shard_paths(dataset)
    outputs += [
        "results/ensemble/table1.csv",
        "results/bias/theta.json",
        "results/bias/label_bias.csv",
        "results/bias/classifier_bias.csv",
        "results/bars/summary.json",
        "results/figures/fig3_bar_isolation.png",
        "results/votes/summary.json",
        *active_summaries(config),
        "results/audit/summary.json",
    ]
    if SYNTHETIC:
        outputs.append("results/sources/synthetic.summary.json")
    return outputs
