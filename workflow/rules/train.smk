from gzxai.cnn.settings import TrainingSettings


rule train:
    input:
        table="results/catalogues/kaggle.parquet",
        split=split_file("members"),
        shards=shard_paths("kaggle"),
    output:
        model="results/models/{member}/model.keras",
        history="results/models/{member}/history.csv",
        summary="results/models/{member}/training.json",
    log:
        "results/logs/train_{member}.log",
    benchmark:
        "results/benchmarks/train/{member}.tsv"
    wildcard_constraints:
        member=MEMBER_PATTERN,
    conda:
        TF_ENV
    container:
        TF_IMAGE
    threads: TF_THREADS
    resources:
        gpu=1,
        mem_mb=6000,
        runtime=240,
    params:
        code=command_code("train"),
        settings=lambda wildcards: TrainingSettings.member(
            config, wildcards.member
        ).to_json(),
        work_dir=lambda wildcards, output: str(Path(output.model).parent / "work"),
    shell:
        "python -m gzxai train --params {params.settings:q} --table {input.table:q}"
        " --split {input.split:q} --shards {input.shards:q} --work-dir {params.work_dir:q}"
        " --model {output.model:q} --history {output.history:q}"
        " --summary {output.summary:q} --threads {threads} > {log:q} 2>&1"


rule predict:
    input:
        model="results/models/{member}/model.keras",
        shards=shard_paths("kaggle"),
    output:
        "results/models/{member}/predictions.parquet",
    log:
        "results/logs/predict_{member}.log",
    benchmark:
        "results/benchmarks/predict/{member}.tsv"
    wildcard_constraints:
        member=MEMBER_PATTERN,
    conda:
        TF_ENV
    container:
        TF_IMAGE
    threads: TF_THREADS
    resources:
        gpu=1,
        mem_mb=4000,
        runtime=60,
    params:
        code=command_code("predict"),
    shell:
        "python -m gzxai predict --model {input.model:q} --shards {input.shards:q}"
        " --out {output:q} --threads {threads} > {log:q} 2>&1"


rule ensemble:
    input:
        predictions=expand(
            "results/models/{member}/predictions.parquet", member=MEMBERS
        ),
        summaries=expand("results/models/{member}/training.json", member=MEMBERS),
        histories=expand("results/models/{member}/history.csv", member=MEMBERS),
        table="results/catalogues/kaggle.parquet",
        split=split_file("members"),
        shards=shard_paths("kaggle"),
    output:
        table1=report(
            "results/ensemble/table1.csv",
            caption="../report/table1.rst",
            category="CNN ensemble",
        ),
        table1_md="results/ensemble/table1.md",
        predictions="results/ensemble/predictions.parquet",
        submission="results/ensemble/kaggle_submission.csv",
        audit="results/ensemble/misclassification.json",
        disagreements="results/ensemble/q1_disagreements.csv",
        curves=report(
            "results/figures/learning_curves.png",
            caption="../report/learning_curves.rst",
            category="CNN ensemble",
        ),
        gallery=report(
            "results/figures/q1_disagreements.png",
            caption="../report/q1_disagreements.rst",
            category="CNN ensemble",
        ),
    log:
        "results/logs/ensemble.log",
    benchmark:
        "results/benchmarks/ensemble/job.tsv"
    conda:
        ENV
    container:
        ANALYSIS_IMAGE
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        code=command_code("ensemble"),
        names=MEMBERS,
        gallery=config["ensemble"]["gallery_size"],
        out_dir=lambda wildcards, output: str(Path(output.table1).parent),
        figures_dir=lambda wildcards, output: str(Path(output.curves).parent),
    shell:
        "python -m gzxai ensemble --names {params.names} --predictions {input.predictions:q}"
        " --summaries {input.summaries:q} --histories {input.histories:q}"
        " --table {input.table:q} --split {input.split:q} --shards {input.shards:q}"
        " --gallery-size {params.gallery} --out-dir {params.out_dir:q}"
        " --figures-dir {params.figures_dir:q} > {log:q} 2>&1"
