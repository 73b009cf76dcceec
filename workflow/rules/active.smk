# Active learning (Walmsley et al. 2020 §3): the simulated Galaxy Zoo campaign, one job per
# (question, strategy, repeat, iteration), BALD against random acquisition.
from gzxai.active import files as active_files
from gzxai.active.settings import EvaluationSettings as ActiveEvaluation
from gzxai.active.settings import IterationSettings, SetSettings


rule active_sets:
    input:
        gz2=paths.table("gz2"),
        images=image_index("gz2"),
    output:
        active_files.sets_file("{question}", "{repeat}"),
    log:
        "results/logs/active_sets_{question}_{repeat}.log",
    benchmark:
        "results/benchmarks/active_sets/{question}_{repeat}.tsv"
    wildcard_constraints:
        repeat=r"\d+",
    conda:
        ENV
    container:
        ANALYSIS_IMAGE
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        code=command_code("active-sets"),
        settings=lambda wildcards: SetSettings.from_config(
            config, wildcards.question
        ).to_json(),
    shell:
        "python -m gzxai active-sets --gz2 {input.gz2:q} --images {input.images:q}"
        " --repeat {wildcards.repeat} --params {params.settings:q} --out {output:q}"
        " > {log:q} 2>&1"


rule active_iteration:
    input:
        unpack(
            lambda wildcards: active_files.iteration_inputs(config, wildcards, TRUTH)
        ),
    output:
        **active_files.iteration_outputs(),
    log:
        "results/logs/active_{question}_{strategy}_{repeat}_{iteration}.log",
    benchmark:
        "results/benchmarks/active_iteration/{question}_{strategy}_{repeat}_{iteration}.tsv"
    wildcard_constraints:
        strategy="bald|random",
        repeat=r"\d+",
        iteration=r"\d+",
    conda:
        TF_ENV
    container:
        TF_IMAGE
    threads: ACTIVE_THREADS
    resources:
        gpu=1,
        mem_mb=4000,
        runtime=60,
    params:
        code=command_code("active-iterate"),
        settings=lambda wildcards: IterationSettings.from_config(
            config, wildcards.question
        ).to_json(),
        labelled=optional_argument("labelled"),
        previous=lambda wildcards, input: (
            f"--previous-model {input.previous_model}"
            if "previous_model" in input.keys()
            else ""
        ),
        truth=optional_argument("truth"),
        out_dir=lambda wildcards, output: str(Path(output.metrics).parent),
    shell:
        "python -m gzxai active-iterate --gz2 {input.gz2:q} --images {input.images:q}"
        " --shards {input.shards:q} --sets {input.sets:q} {params.labelled}"
        " {params.previous} {params.truth} --strategy {wildcards.strategy}"
        " --repeat {wildcards.repeat} --iteration {wildcards.iteration}"
        " --params {params.settings:q} --out-dir {params.out_dir:q}"
        " --threads {threads} > {log:q} 2>&1"


rule evaluate_active:
    input:
        unpack(
            lambda wildcards: active_files.evaluation_inputs(
                config, wildcards.question
            )
        ),
    output:
        **synthetic_only(
            saving_truth="results/active/{question}/label_saving_vs_true_rho.csv"
        ),
        summary="results/active/{question}/summary.json",
        curves="results/active/{question}/curves.csv",
        acquired="results/active/{question}/acquired.csv",
        saving="results/active/{question}/label_saving_vs_fraction.csv",
        curves_figure=report(
            "results/figures/active_{question}_curves.png",
            caption="../report/active_curves.rst",
            category="Active learning",
        ),
        acquired_figure=report(
            "results/figures/active_{question}_acquired.png",
            caption="../report/active_acquired.rst",
            category="Active learning",
        ),
        saving_figure=report(
            "results/figures/active_{question}_label_saving.png",
            caption="../report/active_label_saving.rst",
            category="Active learning",
        ),
        informative_figure=report(
            "results/figures/active_{question}_informative.png",
            caption="../report/active_informative.rst",
            category="Active learning",
        ),
    log:
        "results/logs/evaluate_active_{question}.log",
    benchmark:
        "results/benchmarks/evaluate_active/{question}.tsv"
    conda:
        ENV
    container:
        ANALYSIS_IMAGE
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        code=command_code("active-evaluate"),
        settings=ActiveEvaluation.from_config(config).to_json(),
        out_dir=lambda wildcards, output: str(Path(output.summary).parent),
        figures_dir=lambda wildcards, output: str(Path(output.curves_figure).parent),
    shell:
        "python -m gzxai active-evaluate --question {wildcards.question}"
        " --gz2 {input.gz2:q} --metrics {input.metrics:q} --acquired {input.acquired:q}"
        " --evaluation {input.evaluation:q} --shards {input.shards:q}"
        " --params {params.settings:q} --out-dir {params.out_dir:q}"
        " --figures-dir {params.figures_dir:q} > {log:q} 2>&1"
