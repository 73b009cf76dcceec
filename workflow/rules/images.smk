from gzxai.sources import files as source_files
from gzxai.sources.settings import ResizeSettings


rule resize:
    input:
        unpack(lambda wildcards: source_files.resize_inputs(SOURCES, wildcards.dataset)),
    output:
        shard="results/images/{dataset}/shard-{shard}.npz",
        quarantine="results/images/{dataset}/shard-{shard}.quarantine.csv",
    log:
        "results/logs/resize_{dataset}_{shard}.log",
    benchmark:
        "results/benchmarks/resize/{dataset}_{shard}.tsv"
    wildcard_constraints:
        dataset="|".join(CATALOGUES),
        shard=r"\d{3}",
    conda:
        ENV
    container:
        ANALYSIS_IMAGE
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        code=command_code("resize"),
        settings=lambda wildcards: ResizeSettings.from_config(
            config, wildcards.dataset
        ).to_json(),
        root=lambda wildcards, input: source_files.source_root_of(SOURCES, input),
    shell:
        "python -m gzxai resize --table {input.table:q} --dataset {wildcards.dataset}"
        " --source-root {params.root:q} --shard {wildcards.shard} --params {params.settings:q}"
        " --out {output.shard:q} --quarantine {output.quarantine:q} > {log:q} 2>&1"
