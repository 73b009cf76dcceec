import json
from pathlib import Path

from gzxai.config import check, export_job_environment, source_root
from gzxai.errors import ConfigError
from gzxai.layout import SourceLayout

try:
    check(config)
except ConfigError as err:
    raise WorkflowError(f"Invalid configuration: {err}") from None

export_job_environment(PACKAGE_DIR)
SOURCES = SourceLayout(source_root(config))
CATALOGUES = ["kaggle", "gz2", "bars"]
# Datasets resized by default: what the training and bar stages consume.
RESIZED = ["kaggle", "bars", "gz2"]
CLASSIFIERS = ["naive", "debiased"]
ENV = "../../envs/gzxai.yaml"
TF_ENV = "../../envs/tensorflow.yaml"
FETCH_ENV = "../../envs/fetch.yaml"
DOWNLOADS = "results/downloads"
FETCH_URLS = {
    "gz2_hart16.csv.gz": config["fetch"]["gz2_hart16_url"],
    "gz2_filename_mapping.csv": config["fetch"]["gz2_mapping_url"],
    "hoyle_barlengths.csv": config["fetch"]["hoyle_url"],
}
MEMBERS = list(config["members"])
MEMBER_PATTERN = "|".join(MEMBERS)

# Source files each canonical table is built from (same layout, real or synthetic).
CATALOGUE_SOURCES = {
    "kaggle": ["kaggle_solutions", "kaggle_train_images", "kaggle_test_images"],
    "gz2": ["gz2_hart16", "gz2sample", "gz2_mapping", "photometry", "gz2_images"],
    "bars": ["hoyle", "gz2sample", "gz2_mapping", "gz2_images"],
}
IMAGE_FOLDERS = {
    "kaggle": ["kaggle_train_images", "kaggle_test_images"],
    "gz2": ["gz2_images"],
    "bars": ["gz2_images"],
}


def as_json(value):
    """Stage settings as one JSON argument; Snakemake reruns a job when they change."""
    return json.dumps(value, sort_keys=True)


def layout_paths(names):
    return {name: str(getattr(SOURCES, name)) for name in names}


def synthesize_settings():
    """The generator's settings: the survey, its seed, and the conventions it writes in."""
    conventions = {
        key: config["conventions"][key] for key in ("cosmology", "length_scaled")
    }
    return as_json(
        {
            "seed": config["seed"],
            "synthetic": config["synthetic"],
            "conventions": conventions,
        }
    )


def catalogue_settings(wildcards):
    """Only the settings a table uses, so changing another one does not rebuild it."""
    conventions = config["conventions"]
    settings = {
        "kaggle": {"tree_sum_tolerance": config["catalogues"]["tree_sum_tolerance"]},
        "gz2": {},
        "bars": {
            key: conventions[key]
            for key in ("cosmology", "hoyle_length_units", "length_scaled")
        },
    }
    return as_json(settings[wildcards.table])


def fetch_settings(file_name):
    """Retry policy, endpoint settings and the expected md5 of ``file_name``."""
    from gzxai.fetch import known_md5

    fetch = config["fetch"]
    settings = {
        key: fetch[key] for key in ("retries", "backoff_seconds", "timeout_seconds")
    }
    settings["md5"] = known_md5(file_name, fetch["checksums"]) if file_name else None
    for key in (
        "kaggle_competition",
        "kaggle_mirror_url",
        "sdss_sql_url",
        "sdss_batch_size",
    ):
        settings[key] = fetch[key]
    return as_json(settings)


def member_settings(wildcards):
    """A member's model and merged training settings: changing them retrains it alone."""
    from gzxai.train import member_training

    return as_json(
        {
            "model": config["members"][wildcards.member],
            "training": member_training(config, wildcards.member),
            "seed": config["seed"],
            "image_size": config["images"]["size_px"],
        }
    )


def catalogue_inputs(wildcards):
    return layout_paths(CATALOGUE_SOURCES[wildcards.table])


def resize_inputs(wildcards):
    return {
        "table": f"results/catalogues/{wildcards.dataset}.parquet",
        **layout_paths(IMAGE_FOLDERS[wildcards.dataset]),
    }


def source_root_of(wildcards, input):
    """The source root, derived from the job's own input paths."""
    for name, path in input.items():
        if hasattr(SOURCES, name):
            return str(SOURCES.root_from(path, name))
    raise WorkflowError("no source-layout input to derive the source root from")


def bias_inputs(wildcards):
    inputs = {"gz2": "results/catalogues/gz2.parquet"}
    if config["source"] == "synthetic":
        inputs["truth"] = str(SOURCES.truth)
    return inputs


def classifier_inputs(wildcards):
    """The naive classifier does not depend on θ: a new fit retrains the debiased one only."""
    inputs = {"gz2": "results/catalogues/gz2.parquet", "shards": shard_paths("gz2")}
    if wildcards.kind == "debiased":
        inputs["theta"] = "results/bias/theta.json"
    return inputs


def classifier_settings():
    """Model, training (defaults merged with the classifier's overrides), splits, seed."""
    classifier = config["bias"]["classifier"]
    training = {**config["training"]}
    for key, value in classifier["training"].items():
        training[key] = {**training[key], **value} if isinstance(value, dict) else value
    return as_json(
        {
            "model": classifier["model"],
            "training": training,
            "validation_fraction": classifier["validation_fraction"],
            "test_fraction": classifier["test_fraction"],
            "seed": config["seed"],
            "image_size": config["images"]["size_px"],
            "cv18": config["bias"]["cv18"],
        }
    )


def shard_paths(dataset):
    count = config["images"]["shards"][dataset]
    return expand(
        "results/images/{dataset}/shard-{shard:03d}.npz",
        dataset=dataset,
        shard=range(count),
    )


def final_outputs():
    outputs = expand("results/catalogues/{table}.parquet", table=CATALOGUES)
    for dataset in RESIZED:
        outputs += shard_paths(dataset)
    outputs.append("results/ensemble/table1.csv")
    outputs.append("results/bias/theta.json")
    outputs.append("results/bias/classifier_bias.csv")
    if config["source"] == "synthetic":
        outputs.append("results/sources/synthetic.summary.json")
    return outputs
