# Every split is a file, written once by this rule and read by the rules that need it: the
# ensemble members', the bias classifiers', the direct CNN's (train / val / test) and the
# bar catalogue's (validation / test).
from gzxai.splits.files import split_inputs
from gzxai.splits.settings import SPLITS, SplitSettings


rule split:
    input:
        unpack(lambda wildcards: split_inputs(wildcards.name)),
    output:
        split_file("{name}"),
    log:
        "results/logs/split_{name}.log",
    benchmark:
        "results/benchmarks/split/{name}.tsv"
    wildcard_constraints:
        name="|".join(SPLITS),
    conda:
        ENV
    container:
        ANALYSIS_IMAGE
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=command_code("split"),
        settings=lambda wildcards: SplitSettings.from_config(
            config, wildcards.name
        ).to_json(),
        images=optional_argument("images"),
    shell:
        "python -m gzxai split {wildcards.name} --table {input.table:q} {params.images}"
        " --params {params.settings:q} --out {output:q} > {log:q} 2>&1"
