rule split:
    input:
        table="results/catalogues/kaggle.parquet",
        images=image_index("kaggle"),
    output:
        "results/training/splits.parquet",
    log:
        "results/logs/split.log",
    benchmark:
        "results/benchmarks/split/job.tsv"
    conda:
        ENV
    container:
        ANALYSIS_IMAGE
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        seed=config["seed"],
        val=config["splits"]["validation_fraction"],
        test=config["splits"]["test_fraction"],
    shell:
        "python -m gzxai split --table {input.table:q} --images {input.images:q}"
        " --seed {params.seed}"
        " --val-fraction {params.val} --test-fraction {params.test} --out {output:q} > {log:q} 2>&1"


rule train:
    input:
        table="results/catalogues/kaggle.parquet",
        splits="results/training/splits.parquet",
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
    threads: 2
    resources:
        gpu=1,
        mem_mb=6000,
        runtime=240,
    params:
        code=stage_code("cnn/train", "cnn/models", "cnn/augment", "cnn/checkpoint"),
        settings=member_settings,
        work_dir=lambda wildcards, output: str(Path(output.model).parent / "work"),
    shell:
        "python -m gzxai train --params {params.settings:q} --table {input.table:q}"
        " --splits {input.splits:q} --shards {input.shards:q} --work-dir {params.work_dir:q}"
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
    threads: 2
    resources:
        gpu=1,
        mem_mb=4000,
        runtime=60,
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
        splits="results/training/splits.parquet",
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
        code=stage_code("ensemble/evaluate"),
        names=MEMBERS,
        gallery=config["ensemble"]["gallery_size"],
        out_dir=lambda wildcards, output: str(Path(output.table1).parent),
        figures_dir=lambda wildcards, output: str(Path(output.curves).parent),
    shell:
        "python -m gzxai ensemble --names {params.names} --predictions {input.predictions:q}"
        " --summaries {input.summaries:q} --histories {input.histories:q}"
        " --table {input.table:q} --splits {input.splits:q} --shards {input.shards:q}"
        " --gallery-size {params.gallery} --out-dir {params.out_dir:q}"
        " --figures-dir {params.figures_dir:q} > {log:q} 2>&1"
