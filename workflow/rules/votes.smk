# Bayesian vote models (Walmsley et al. 2020): binomial CNNs for Smooth and Bar and the
# Dirichlet model of the whole tree, trained on raw GZ2 counts; MC-dropout samples with
# test-time views, one job per GZ2 shard; calibration, truth comparison and figures.
from gzxai.votes import files as vote_files
from gzxai.votes.settings import (
    VOTE_MODELS,
    EvaluationSettings,
    PredictionSettings,
    TargetSettings,
    vote_training,
)


rule train_vote_model:
    input:
        **vote_files.training_inputs(config),
    output:
        model="results/votes/{model}/model.keras",
        history="results/votes/{model}/history.csv",
        summary="results/votes/{model}/training.json",
    log:
        "results/logs/train_vote_model_{model}.log",
    benchmark:
        "results/benchmarks/train_vote_model/{model}.tsv"
    wildcard_constraints:
        model="|".join(VOTE_MODELS),
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
        code=command_code("votes-train"),
        targets=lambda wildcards: TargetSettings.from_config(
            config, wildcards.model
        ).to_json(),
        settings=lambda wildcards: vote_training(config, wildcards.model).to_json(),
        work_dir=lambda wildcards, output: str(Path(output.model).parent / "work"),
    shell:
        "python -m gzxai votes-train --model-name {wildcards.model}"
        " --targets {params.targets:q} --params {params.settings:q}"
        " --gz2 {input.gz2:q} --images {input.images:q} --split {input.split:q}"
        " --shards {input.shards:q} --work-dir {params.work_dir:q}"
        " --model {output.model:q} --history {output.history:q}"
        " --summary {output.summary:q} --threads {threads} > {log:q} 2>&1"


rule predict_votes:
    input:
        model="results/votes/{model}/model.keras",
        shard="results/images/gz2/shard-{shard}.npz",
    output:
        "results/votes/{model}/samples/shard-{shard}.npz",
    log:
        "results/logs/predict_votes_{model}_{shard}.log",
    benchmark:
        "results/benchmarks/predict_votes/{model}_{shard}.tsv"
    wildcard_constraints:
        model="|".join(VOTE_MODELS),
        shard=r"\d+",
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
        code=command_code("votes-predict"),
        settings=PredictionSettings.from_config(config).to_json(),
    shell:
        "python -m gzxai votes-predict --model {input.model:q} --shard {input.shard:q}"
        " --params {params.settings:q} --out {output:q} --threads {threads} > {log:q} 2>&1"


rule evaluate_votes:
    input:
        **vote_files.evaluation_inputs(config, TRUTH),
    output:
        **{
            name: report(
                path, caption="../report/votes_tables.rst", category="Vote models"
            )
            for name, path in vote_files.question_tables(config, "csv").items()
        },
        **vote_files.question_tables(config, "md"),
        **synthetic_only(truth="results/votes/truth.csv"),
        **{
            name: report(
                path, caption="../report/votes_examples.rst", category="Vote models"
            )
            for name, path in vote_files.example_figures(config).items()
        },
        calibration="results/votes/calibration.csv",
        curve="results/votes/calibration_curve.csv",
        summary="results/votes/summary.json",
        calibration_figure=report(
            "results/figures/votes_fig6_calibration.png",
            caption="../report/votes_calibration.rst",
            category="Vote models",
        ),
        distributions=report(
            "results/figures/votes_fig7_distributions.png",
            caption="../report/votes_distributions.rst",
            category="Vote models",
        ),
    log:
        "results/logs/evaluate_votes.log",
    benchmark:
        "results/benchmarks/evaluate_votes/job.tsv"
    conda:
        ENV
    container:
        ANALYSIS_IMAGE
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        code=command_code("votes-evaluate"),
        settings=EvaluationSettings.from_config(config).to_json(),
        samples=vote_files.samples_argument(config),
        truth=optional_argument("truth"),
        out_dir=lambda wildcards, output: str(Path(output.summary).parent),
        figures_dir=lambda wildcards, output: str(
            Path(output.calibration_figure).parent
        ),
    shell:
        "python -m gzxai votes-evaluate --gz2 {input.gz2:q} --split {input.split:q}"
        " {params.truth} --samples {params.samples} --shards {input.shards:q}"
        " --params {params.settings:q} --out-dir {params.out_dir:q}"
        " --figures-dir {params.figures_dir:q} > {log:q} 2>&1"
