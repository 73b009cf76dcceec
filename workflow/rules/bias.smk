# The resolution labelling bias (Medina 2023): θ from the labels, the labels' CV metrics,
# the naive and the debiased classifier, and their evaluation against labels and truth.
from gzxai.bias import files as bias_files
from gzxai.bias.classifier import KINDS
from gzxai.bias.settings import EvaluationSettings, LabelBiasSettings, ThetaSettings
from gzxai.cnn.settings import TrainingSettings


rule fit_bias_theta:
    input:
        unpack(lambda wildcards: bias_files.bias_inputs(TRUTH)),
    output:
        theta="results/bias/theta.json",
        figure=report(
            "results/figures/smooth_fraction_vs_alpha.png",
            caption="../report/smooth_fraction.rst",
            category="Resolution bias",
        ),
    log:
        "results/logs/fit_bias_theta.log",
    benchmark:
        "results/benchmarks/fit_bias_theta/job.tsv"
    conda:
        ENV
    container:
        ANALYSIS_IMAGE
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        settings=ThetaSettings.from_config(config).to_json(),
        truth=optional_argument("truth"),
        code=command_code("bias-theta"),
    shell:
        "python -m gzxai bias-theta --gz2 {input.gz2:q} {params.truth}"
        " --params {params.settings:q} --out {output.theta:q} --figure {output.figure:q}"
        " > {log:q} 2>&1"


rule label_bias:
    input:
        unpack(lambda wildcards: bias_files.bias_inputs(TRUTH)),
    output:
        report(
            "results/bias/label_bias.csv",
            caption="../report/label_bias.rst",
            category="Resolution bias",
        ),
    log:
        "results/logs/label_bias.log",
    benchmark:
        "results/benchmarks/label_bias/job.tsv"
    conda:
        ENV
    container:
        ANALYSIS_IMAGE
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        settings=LabelBiasSettings.from_config(config).to_json(),
        truth=optional_argument("truth"),
        code=command_code("bias-labels"),
    shell:
        "python -m gzxai bias-labels --gz2 {input.gz2:q} {params.truth}"
        " --params {params.settings:q} --out {output:q} > {log:q} 2>&1"


rule train_bias_classifier:
    input:
        unpack(lambda wildcards: bias_files.classifier_inputs(config, wildcards.kind)),
    output:
        model="results/bias/{kind}/model.keras",
        history="results/bias/{kind}/history.csv",
        summary="results/bias/{kind}/training.json",
    log:
        "results/logs/train_bias_{kind}.log",
    benchmark:
        "results/benchmarks/train_bias_classifier/{kind}.tsv"
    wildcard_constraints:
        kind="|".join(KINDS),
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
        settings=TrainingSettings.classifier(config).to_json(),
        code=command_code("bias-train"),
        theta=lambda wildcards, input: (
            f"--theta {input.theta}" if "theta" in input.keys() else ""
        ),
        work_dir=lambda wildcards, output: str(Path(output.model).parent / "work"),
    shell:
        "python -m gzxai bias-train --kind {wildcards.kind} --gz2 {input.gz2:q} {params.theta}"
        " --images {input.images:q} --split {input.split:q} --shards {input.shards:q}"
        " --params {params.settings:q}"
        " --work-dir {params.work_dir:q} --model {output.model:q} --history {output.history:q} --summary {output.summary:q}"
        " --threads {threads} > {log:q} 2>&1"


rule predict_bias_classifier:
    input:
        model="results/bias/{kind}/model.keras",
        shards=shard_paths("gz2"),
    output:
        "results/bias/{kind}/predictions.parquet",
    log:
        "results/logs/predict_bias_{kind}.log",
    benchmark:
        "results/benchmarks/predict_bias_classifier/{kind}.tsv"
    wildcard_constraints:
        kind="|".join(KINDS),
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


rule evaluate_bias:
    input:
        unpack(lambda wildcards: bias_files.bias_inputs(TRUTH)),
        theta="results/bias/theta.json",
        predictions=expand("results/bias/{kind}/predictions.parquet", kind=KINDS),
        models=expand("results/bias/{kind}/model.keras", kind=KINDS),
        shards=shard_paths("gz2"),
        images=image_index("gz2"),
        split=split_file("classifiers"),
    output:
        **synthetic_only(
            sersic=report(
                "results/figures/sersic_smooth_cumulative.png",
                caption="../report/sersic_smooth.rst",
                category="Resolution bias",
            ),
            verdict_figure=report(
                "results/figures/disks_called_smooth.png",
                caption="../report/disks_called_smooth.rst",
                category="Resolution bias",
            ),
            verdict_table=report(
                "results/bias/disks_called_smooth.csv",
                caption="../report/disks_called_smooth.rst",
                category="Resolution bias",
            ),
            accuracy_by_alpha="results/bias/accuracy_by_alpha.csv",
        ),
        table=report(
            "results/bias/classifier_bias.csv",
            caption="../report/classifier_bias.rst",
            category="Resolution bias",
        ),
        markdown="results/bias/classifier_bias.md",
        summary="results/bias/summary.json",
        grad_cam=report(
            "results/figures/grad_cam_classifiers.png",
            caption="../report/grad_cam.rst",
            category="Resolution bias",
        ),
    log:
        "results/logs/evaluate_bias.log",
    benchmark:
        "results/benchmarks/evaluate_bias/job.tsv"
    conda:
        TF_ENV
    container:
        TF_IMAGE
    threads: TF_THREADS
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        settings=EvaluationSettings.from_config(config).to_json(),
        code=command_code("bias-evaluate"),
        truth=optional_argument("truth"),
        out_dir=lambda wildcards, output: str(Path(output.table).parent),
        figures_dir=lambda wildcards, output: str(Path(output.grad_cam).parent),
    shell:
        "python -m gzxai bias-evaluate --gz2 {input.gz2:q} --images {input.images:q}"
        " {params.truth} --theta {input.theta:q}"
        " --predictions {input.predictions:q} --models {input.models:q}"
        " --shards {input.shards:q} --split {input.split:q} --params {params.settings:q}"
        " --out-dir {params.out_dir:q}"
        " --figures-dir {params.figures_dir:q} --threads {threads} > {log:q} 2>&1"
