import json
import os
import re
from pathlib import Path

from gzxai.core.config import (
    image_geometry,
    check,
    export_job_environment,
    member_training,
    merge_training,
    source_root,
)
from gzxai.core.errors import ConfigError
from gzxai.core.layout import SourceLayout
from gzxai.core.provenance import code_digest

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
# Apptainer images (--software-deployment-method apptainer): built from containers/*.def
# next to their definition files unless the config names an image (path or URI).
CONTAINERS_DIR = Path(PACKAGE_DIR).parent / "containers"
ANALYSIS_IMAGE = config["containers"]["analysis"] or str(CONTAINERS_DIR / "gzxai.sif")
TF_IMAGE = config["containers"]["tensorflow"] or str(CONTAINERS_DIR / "tensorflow.sif")
DOWNLOADS = "results/downloads"
FETCH_URLS = {
    "gz2_hart16.csv.gz": "gz2_hart16_url",
    "gz2_filename_mapping.csv": "gz2_mapping_url",
    "hoyle_barlengths.csv": "hoyle_url",
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


def stage_code(*modules):
    """Digest of a stage's own modules, used as a param: editing one reruns that stage.

    Content, not mtime or path: a fresh clone or a moved checkout reruns nothing.
    """
    return code_digest(*modules)


def url_argument(key):
    """``env:NAME`` for the URL under ``fetch.<key>``, which is put in the environment that
    jobs inherit: a credential in a mirror URL never reaches a command line or a log."""
    name = f"GZXAI_FETCH_{key.upper()}"
    os.environ[name] = config["fetch"][key] or ""
    return f"env:{name}"


def placed(*paths):
    """True if the source files or folders are all in the sources root already; an error if
    only some are (fetching them together would replace the ones there)."""
    present = [Path(p).exists() for p in paths]
    if all(present):
        return True
    if any(present):
        there = ", ".join(str(p) for p, ok in zip(paths, present) if ok)
        absent = ", ".join(str(p) for p, ok in zip(paths, present) if not ok)
        raise WorkflowError(
            f"{there} in place but {absent} not: they come from one download, which would "
            "replace what is there. Place the rest too, or move these away to fetch them all."
        )
    return False


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
    from gzxai.sources.fetch import known_md5

    fetch = config["fetch"]
    settings = {
        key: fetch[key] for key in ("retries", "backoff_seconds", "timeout_seconds")
    }
    settings["md5"] = known_md5(file_name, fetch["checksums"]) if file_name else None
    for key in ("kaggle_competition", "sdss_batch_size"):
        settings[key] = fetch[key]
    return as_json(settings)


def member_settings(wildcards):
    """A member's model and merged training settings: changing them retrains it alone."""
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


def synthetic_only(**paths):
    """Named outputs that only the synthetic survey can make (they need the truth)."""
    return paths if config["source"] == "synthetic" else {}


def bias_inputs(wildcards):
    inputs = {"gz2": "results/catalogues/gz2.parquet"}
    if config["source"] == "synthetic":
        inputs["truth"] = str(SOURCES.truth)
    return inputs


def classifier_inputs(wildcards):
    """The naive classifier does not depend on θ: a new fit retrains the debiased one only."""
    inputs = {
        "gz2": "results/catalogues/gz2.parquet",
        "images": image_index("gz2"),
        "shards": shard_paths("gz2"),
    }
    if wildcards.kind == "debiased":
        inputs["theta"] = "results/bias/theta.json"
    return inputs


def theta_settings():
    """The θ fit's own keys: no other setting may refit θ (that retrains the debiased
    classifier)."""
    return as_json(
        {
            k: config["bias"][k]
            for k in ("galaxies_per_bin", "alpha_centre", "bootstrap")
        }
    )


def label_bias_settings():
    return as_json({k: config["bias"][k] for k in ("galaxies_per_bin", "cv18")})


def classifier_split():
    classifier = config["bias"]["classifier"]
    return {
        "validation_fraction": classifier["validation_fraction"],
        "test_fraction": classifier["test_fraction"],
        "seed": config["seed"],
    }


def classifier_settings():
    """Model, training (defaults merged with the classifier's overrides), splits, seed."""
    classifier = config["bias"]["classifier"]
    return as_json(
        {
            "model": classifier["model"],
            "training": merge_training(config["training"], classifier["training"]),
            "image_size": image_geometry(config, "gz2")["size_px"],
            **classifier_split(),
        }
    )


def bias_evaluation_settings():
    """The classifiers' split (to find their test galaxies) and the CV18 metric: a new CV18
    setting re-evaluates without retraining."""
    return as_json({**classifier_split(), "cv18": config["bias"]["cv18"]})


def shard_paths(dataset):
    count = config["images"]["shards"][dataset]
    return expand(
        "results/images/{dataset}/shard-{shard:03d}.npz",
        dataset=dataset,
        shard=range(count),
    )


def image_index(table):
    """The table's galaxies with a readable image (contract IMAGE_INDEX): stages that work
    on images take their galaxies from here."""
    return f"results/catalogues/{table}.images.parquet"


def shard_quarantines(dataset):
    return [path.replace(".npz", ".quarantine.csv") for path in shard_paths(dataset)]


def final_outputs():
    outputs = expand("results/catalogues/{table}.parquet", table=CATALOGUES)
    outputs += expand("results/catalogues/{table}.summary.json", table=CATALOGUES)
    for dataset in RESIZED:
        outputs += shard_paths(dataset)
    outputs.append("results/ensemble/table1.csv")
    outputs.append("results/bias/theta.json")
    outputs.append("results/bias/label_bias.csv")
    outputs.append("results/bias/classifier_bias.csv")
    outputs.append("results/bars/summary.json")
    outputs.append("results/figures/fig3_bar_isolation.png")
    if config["source"] == "synthetic":
        outputs.append("results/sources/synthetic.summary.json")
    return outputs


# --- Bar stage -------------------------------------------------------------------------
NOISE_LEVELS = [f"{level:g}" for level in config["saliency"]["noise_levels"]]
SALIENCY_RUNS = [1, 2]


def bar_shards():
    return [f"{shard:03d}" for shard in range(config["images"]["shards"]["bars"])]


def optional_argument(name):
    """``--name path`` when the job has that input (e.g. the synthetic truth), else nothing."""
    return lambda wildcards, input: (
        f"--{name} {input[name]}" if name in input.keys() else ""
    )


def saliency_settings():
    """What a map depends on: the seed and the SmoothGrad settings, plus the test split
    (the second run covers the test part only). Figure-only settings are left out."""
    saliency = {k: v for k, v in config["saliency"].items() if k != "figure_targets"}
    split = {k: config["measure"][k] for k in ("split_seed", "validation_fraction")}
    return as_json({"seed": config["seed"], "saliency": saliency, "measure": split})


def saliency_files(run, shard):
    return {
        f"{member}@{noise}": f"results/saliency/{member}/run-{run}/noise-{noise}/shard-{shard}.npz"
        for member in MEMBERS
        for noise in NOISE_LEVELS
    }


def measure_inputs(wildcards):
    inputs = {
        "shard": f"results/images/bars/shard-{wildcards.shard}.npz",
        **saliency_files(wildcards.run, wildcards.shard),
    }
    if config["source"] == "synthetic" and wildcards.run == "1":
        inputs["truth"] = str(SOURCES.truth)
    return inputs


def saliency_arguments(wildcards, input):
    """``member=path`` items for ``gzxai measure``."""
    return " ".join(
        f"{key.split('@')[0]}={path}" for key, path in input.items() if "@" in key
    )


def measure_settings():
    """Only what the lengths depend on: changing it reruns measurement, never SmoothGrad."""
    grid = {k: config["measure"][k] for k in ("x_input", "rules", "t_corr", "t_len")}
    return as_json({"seed": config["seed"], "measure": grid})


def measurement_paths(run):
    return expand(
        "results/bars/measurements/run-{run}/shard-{shard}.parquet",
        run=run,
        shard=bar_shards(),
    )


def bar_evaluation_settings():
    return as_json(
        {
            "seed": config["seed"],
            "conventions": config["conventions"],
            "measure": config["measure"],
            "size_px": config["images"]["size_px"],
            "crop_px": config["images"]["crop_px"],
        }
    )


def bar_evaluation_inputs(wildcards):
    inputs = {
        "measurements": measurement_paths(SALIENCY_RUNS),
        "selection": "results/bars/table2.csv",
        "bars": "results/catalogues/bars.parquet",
        "images": image_index("bars"),
        "direct": "results/direct/predictions.parquet",
    }
    if config["source"] == "synthetic":
        inputs["truth"] = str(SOURCES.truth)
    return inputs


def direct_settings():
    direct = config["direct"]
    return as_json(
        {
            "model": direct["model"],
            "training": merge_training(config["training"], direct["training"]),
            "validation_fraction": direct["validation_fraction"],
            "test_fraction": direct["test_fraction"],
            "seed": config["seed"],
            "image_size": config["images"]["size_px"],
            "size_px": config["images"]["size_px"],
            "crop_px": config["images"]["crop_px"],
            "conventions": config["conventions"],
        }
    )


def bar_figure_settings():
    return as_json(
        {
            "seed": config["seed"],
            "saliency": config["saliency"],
            "measure": {"examples": config["measure"]["examples"]},
            "conventions": config["conventions"],
        }
    )
