rule catalogue:
    input:
        unpack(catalogue_inputs),
    output:
        table="results/catalogues/{table}.parquet",
        quarantine="results/catalogues/{table}.quarantine.csv",
        summary="results/catalogues/{table}.summary.json",
    log:
        "results/logs/catalogue_{table}.log",
    benchmark:
        "results/benchmarks/catalogue_{table}.tsv"
    wildcard_constraints:
        table="kaggle|gz2|bars",
    conda:
        ENV
    container:
        ANALYSIS_IMAGE
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        settings=catalogue_settings,
        root=source_root_of,
    shell:
        "python -m gzxai catalogue {wildcards.table} --source-root {params.root:q}"
        " --params {params.settings:q} --out {output.table:q}"
        " --quarantine {output.quarantine:q} --summary {output.summary:q} > {log:q} 2>&1"
