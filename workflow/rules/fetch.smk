# Fetch rules run on the login node (localrules): cluster compute nodes often have no
# internet. They exist only for `source: real`; files placed by hand are used as they are.
if config["source"] == "real":

    localrules:
        fetch_kaggle,
        fetch_file,
        fetch_gz2sample,
        fetch_gz2_images,
        fetch_photometry,

    rule fetch_kaggle:
        output:
            solutions=str(SOURCES.kaggle_solutions),
            train=directory(str(SOURCES.kaggle_train_images)),
            test=directory(str(SOURCES.kaggle_test_images)),
        log:
            "results/logs/fetch_kaggle.log",
        conda:
            FETCH_ENV
        container:
            ANALYSIS_IMAGE
        threads: 1
        resources:
            mem_mb=2000,
            runtime=240,
        params:
            settings=fetch_settings("kaggle-competition.zip"),
            downloads=DOWNLOADS,
            target=lambda wildcards, output: str(Path(output.solutions).parent),
        shell:
            "python -m gzxai fetch kaggle --params {params.settings:q}"
            " --downloads {params.downloads:q} --target {params.target:q} > {log:q} 2>&1"

    rule fetch_file:
        output:
            str(SOURCES.root / "{folder}" / "{name}"),
        log:
            "results/logs/fetch_{folder}_{name}.log",
        wildcard_constraints:
            folder="gz2|hoyle",
            name="gz2_hart16.csv.gz|gz2_filename_mapping.csv|hoyle_barlengths.csv",
        conda:
            FETCH_ENV
        container:
            ANALYSIS_IMAGE
        threads: 1
        resources:
            mem_mb=2000,
            runtime=60,
        params:
            settings=lambda wildcards: fetch_settings(wildcards.name),
            url=lambda wildcards: FETCH_URLS[wildcards.name],
        shell:
            "python -m gzxai fetch file --params {params.settings:q} --url {params.url:q}"
            " --out {output:q} > {log:q} 2>&1"

    rule fetch_gz2sample:
        output:
            str(SOURCES.gz2sample),
        log:
            "results/logs/fetch_gz2sample.log",
        conda:
            FETCH_ENV
        container:
            ANALYSIS_IMAGE
        threads: 1
        resources:
            mem_mb=2000,
            runtime=60,
        params:
            settings=fetch_settings("gz2sample.csv.gz"),
            url=config["fetch"]["gz2sample_url"],
            downloads=DOWNLOADS,
        shell:
            "python -m gzxai fetch gunzip --params {params.settings:q} --url {params.url:q}"
            " --downloads {params.downloads:q} --out {output:q} > {log:q} 2>&1"

    rule fetch_gz2_images:
        output:
            directory(str(SOURCES.gz2_images)),
        log:
            "results/logs/fetch_gz2_images.log",
        conda:
            FETCH_ENV
        container:
            ANALYSIS_IMAGE
        threads: 1
        resources:
            mem_mb=2000,
            runtime=480,
        params:
            settings=fetch_settings("images_gz2.zip"),
            url=config["fetch"]["gz2_images_url"],
            downloads=DOWNLOADS,
            target=lambda wildcards, output: str(Path(output[0]).parent.parent),
        shell:
            "python -m gzxai fetch archive --params {params.settings:q} --url {params.url:q}"
            " --downloads {params.downloads:q} --target {params.target:q}"
            " --expect {output:q} > {log:q} 2>&1"

    rule fetch_photometry:
        input:
            hart16=str(SOURCES.gz2_hart16),
            hoyle=str(SOURCES.hoyle),
        output:
            str(SOURCES.photometry),
        log:
            "results/logs/fetch_photometry.log",
        conda:
            FETCH_ENV
        container:
            ANALYSIS_IMAGE
        threads: 1
        resources:
            mem_mb=2000,
            runtime=240,
        params:
            settings=fetch_settings(None),
            batches=lambda wildcards, output: str(Path(output[0]).parent / "batches"),
        shell:
            "python -m gzxai fetch photometry --params {params.settings:q}"
            " --hart16 {input.hart16:q} --extra {input.hoyle:q}"
            " --batches {params.batches:q} --out {output:q} > {log:q} 2>&1"
