rule resize:
    input:
        unpack(resize_inputs),
    output:
        shard="results/images/{dataset}/shard-{shard}.npz",
        quarantine="results/images/{dataset}/shard-{shard}.quarantine.csv",
    log:
        "results/logs/resize_{dataset}_{shard}.log",
    benchmark:
        "results/benchmarks/resize/{dataset}_{shard}.tsv"
    wildcard_constraints:
        dataset="kaggle|gz2|bars",
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
        n_shards=lambda wildcards: config["images"]["shards"][wildcards.dataset],
        crop_px=lambda wildcards: image_geometry(config, wildcards.dataset)["crop_px"],
        size_px=lambda wildcards: image_geometry(config, wildcards.dataset)["size_px"],
        root=source_root_of,
    shell:
        "python -m gzxai resize --table {input.table:q} --dataset {wildcards.dataset}"
        " --source-root {params.root:q} --shard {wildcards.shard}"
        " --n-shards {params.n_shards} --crop-px {params.crop_px} --size-px {params.size_px}"
        " --out {output.shard:q} --quarantine {output.quarantine:q} > {log:q} 2>&1"
