from gzxai.sources import files as source_files
from gzxai.sources.settings import CatalogueSettings


rule catalogue:
    input:
        unpack(
            lambda wildcards: source_files.catalogue_inputs(SOURCES, wildcards.table)
        ),
    output:
        table="results/catalogues/{table}.parquet",
        quarantine="results/catalogues/{table}.quarantine.csv",
        build="results/catalogues/{table}.build.json",
    log:
        "results/logs/catalogue_{table}.log",
    benchmark:
        "results/benchmarks/catalogue/{table}.tsv"
    wildcard_constraints:
        table="|".join(CATALOGUES),
    conda:
        ENV
    container:
        ANALYSIS_IMAGE
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        code=command_code("catalogue"),
        settings=lambda wildcards: CatalogueSettings.from_config(
            config, wildcards.table
        ).to_json(),
        root=lambda wildcards, input: source_files.source_root_of(SOURCES, input),
    shell:
        "python -m gzxai catalogue {wildcards.table} --source-root {params.root:q}"
        " --params {params.settings:q} --out {output.table:q}"
        " --quarantine {output.quarantine:q} --summary {output.build:q} > {log:q} 2>&1"


# A table's summary is final once its images are resized: an image that exists but cannot be
# read is known only then. Its galaxies with a readable image are the image index.
rule catalogue_summary:
    input:
        table="results/catalogues/{table}.parquet",
        build="results/catalogues/{table}.build.json",
        shards=lambda wildcards: shard_paths(wildcards.table),
        quarantines=lambda wildcards: paths.shard_quarantines(config, wildcards.table),
    output:
        summary="results/catalogues/{table}.summary.json",
        index=image_index("{table}"),
        unreadable=report(
            "results/catalogues/{table}.unreadable.csv",
            caption="../report/unreadable_images.rst",
            category="Catalogues",
            labels={"table": "{table}"},
        ),
    log:
        "results/logs/catalogue_summary_{table}.log",
    benchmark:
        "results/benchmarks/catalogue_summary/{table}.tsv"
    wildcard_constraints:
        table="|".join(CATALOGUES),
    conda:
        ENV
    container:
        ANALYSIS_IMAGE
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        code=command_code("catalogue-summary"),
    shell:
        "python -m gzxai catalogue-summary --dataset {wildcards.table} --table {input.table:q}"
        " --build {input.build:q} --shards {input.shards:q}"
        " --quarantines {input.quarantines:q} --index {output.index:q}"
        " --unreadable {output.unreadable:q} --summary {output.summary:q} > {log:q} 2>&1"
