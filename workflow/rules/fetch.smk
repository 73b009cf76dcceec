# Fetch rules run on the login node (localrules): cluster compute nodes often have no
# internet. They exist only for `source: real`, and only for the source files that are not
# there yet: a file in the sources root, placed by hand or fetched before, is never
# refetched, removed or replaced. (Snakemake deletes a job's outputs before rerunning it,
# and reruns it when an input, a param or the code changes; neither ancient() inputs nor
# protected() outputs stop every such rerun, but a rule that does not exist cannot run.)
# URLs reach the jobs through the environment (`env:NAME` arguments), so credentials in a
# mirror URL never appear in a command line.
import re

from gzxai.sources import files as source_files
from gzxai.sources.settings import FetchSettings

DOWNLOADS = source_files.DOWNLOADS

if config["source"] == "real":
    try:
        fetch_rules = source_files.fetch_rules(SOURCES)
        MISSING_FILES = source_files.missing_files(SOURCES)
    except ConfigError as err:
        raise WorkflowError(str(err)) from None

    localrules:
        fetch_kaggle,
        fetch_file,
        fetch_gz2sample,
        fetch_gz2_images,
        fetch_photometry,

    if "fetch_kaggle" in fetch_rules:

        rule fetch_kaggle:
            output:
                solutions=str(SOURCES.kaggle_solutions),
                train=directory(str(SOURCES.kaggle_train_images)),
                test=directory(str(SOURCES.kaggle_test_images)),
            log:
                "results/logs/fetch_kaggle.log",
            benchmark:
                "results/benchmarks/fetch_kaggle/job.tsv"
            conda:
                FETCH_ENV
            container:
                ANALYSIS_IMAGE
            threads: 1
            resources:
                mem_mb=2000,
                runtime=240,
            params:
                code=command_code("fetch"),
                settings=FetchSettings.from_config(
                    config, "kaggle-competition.zip"
                ).to_json(),
                downloads=DOWNLOADS,
                target=lambda wildcards, output: str(Path(output.solutions).parent),
                url=source_files.url_argument(config, "kaggle_mirror_url"),
            shell:
                "python -m gzxai fetch kaggle --params {params.settings:q} --url {params.url:q}"
                " --downloads {params.downloads:q} --target {params.target:q} > {log:q} 2>&1"

    if "fetch_file" in fetch_rules:

        rule fetch_file:
            output:
                str(SOURCES.root / "{folder}" / "{name}"),
            log:
                "results/logs/fetch_{folder}_{name}.log",
            benchmark:
                "results/benchmarks/fetch_file/{folder}_{name}.tsv"
            wildcard_constraints:
                folder="gz2|hoyle",
                name="|".join(re.escape(name) for name in MISSING_FILES),
            conda:
                FETCH_ENV
            container:
                ANALYSIS_IMAGE
            threads: 1
            resources:
                mem_mb=2000,
                runtime=60,
            params:
                code=command_code("fetch"),
                settings=lambda wildcards: FetchSettings.from_config(
                    config, wildcards.name
                ).to_json(),
                url=lambda wildcards: source_files.url_argument(
                    config, source_files.FETCHED_FILES[wildcards.name][1]
                ),
            shell:
                "python -m gzxai fetch file --params {params.settings:q} --url {params.url:q}"
                " --out {output:q} > {log:q} 2>&1"

    if "fetch_gz2sample" in fetch_rules:

        rule fetch_gz2sample:
            output:
                str(SOURCES.gz2sample),
            log:
                "results/logs/fetch_gz2sample.log",
            benchmark:
                "results/benchmarks/fetch_gz2sample/job.tsv"
            conda:
                FETCH_ENV
            container:
                ANALYSIS_IMAGE
            threads: 1
            resources:
                mem_mb=2000,
                runtime=60,
            params:
                code=command_code("fetch"),
                settings=FetchSettings.from_config(config, "gz2sample.csv.gz").to_json(),
                url=source_files.url_argument(config, "gz2sample_url"),
                downloads=DOWNLOADS,
            shell:
                "python -m gzxai fetch gunzip --params {params.settings:q} --url {params.url:q}"
                " --downloads {params.downloads:q} --out {output:q} > {log:q} 2>&1"

    if "fetch_gz2_images" in fetch_rules:

        rule fetch_gz2_images:
            output:
                directory(str(SOURCES.gz2_images)),
            log:
                "results/logs/fetch_gz2_images.log",
            benchmark:
                "results/benchmarks/fetch_gz2_images/job.tsv"
            conda:
                FETCH_ENV
            container:
                ANALYSIS_IMAGE
            threads: 1
            resources:
                mem_mb=2000,
                runtime=480,
            params:
                code=command_code("fetch"),
                settings=FetchSettings.from_config(config, "images_gz2.zip").to_json(),
                url=source_files.url_argument(config, "gz2_images_url"),
                downloads=DOWNLOADS,
                target=lambda wildcards, output: str(Path(output[0]).parent.parent),
            shell:
                "python -m gzxai fetch archive --params {params.settings:q} --url {params.url:q}"
                " --downloads {params.downloads:q} --target {params.target:q}"
                " --expect {output:q} > {log:q} 2>&1"

    if "fetch_photometry" in fetch_rules:

        rule fetch_photometry:
            input:
                hart16=str(SOURCES.gz2_hart16),
                hoyle=str(SOURCES.hoyle),
            output:
                str(SOURCES.photometry),
            log:
                "results/logs/fetch_photometry.log",
            benchmark:
                "results/benchmarks/fetch_photometry/job.tsv"
            conda:
                FETCH_ENV
            container:
                ANALYSIS_IMAGE
            threads: 1
            resources:
                mem_mb=2000,
                runtime=240,
            params:
                code=command_code("fetch"),
                settings=FetchSettings.from_config(config, None).to_json(),
                batches=lambda wildcards, output: str(
                    Path(output[0]).parent / "batches"
                ),
                url=source_files.url_argument(config, "sdss_sql_url"),
            shell:
                "python -m gzxai fetch photometry --params {params.settings:q} --url {params.url:q}"
                " --hart16 {input.hart16:q} --extra {input.hoyle:q}"
                " --batches {params.batches:q} --out {output:q} > {log:q} 2>&1"
