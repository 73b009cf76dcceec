# Bar lengths from saliency maps (paper §4.4–4.6, §5.1): SmoothGrad per member × run ×
# noise level × shard, lengths over the whole grid per shard, Table 2 on the validation
# third, the test evaluation with the direct-CNN control, and the figures.
from gzxai.bars import files as bar_files
from gzxai.bars.settings import (
    DirectSettings,
    EvaluationSettings,
    FigureSettings,
    MeasureSettings,
    SaliencySettings,
    SelectSettings,
)


rule saliency:
    input:
        unpack(bar_files.saliency_inputs),
    output:
        "results/saliency/{member}/run-{run}/noise-{noise}/shard-{shard}.npz",
    log:
        "results/logs/saliency/{member}_run-{run}_noise-{noise}_shard-{shard}.log",
    benchmark:
        "results/benchmarks/saliency/{member}_{run}_{noise}_{shard}.tsv"
    wildcard_constraints:
        member=MEMBER_PATTERN,
        run="[12]",
        shard=r"\d{3}",
    conda:
        TF_ENV
    container:
        TF_IMAGE
    threads: TF_THREADS
    resources:
        gpu=1,
        mem_mb=3000,
        runtime=120,
    params:
        code=command_code("saliency"),
        settings=SaliencySettings.from_config(config).to_json(),
        split=optional_argument("split"),
    shell:
        "python -m gzxai --quiet saliency --model {input.model:q} --shard {input.shard:q}"
        " --noise {wildcards.noise} --run {wildcards.run} {params.split}"
        " --params {params.settings:q}"
        " --out {output:q} --threads {threads} > {log:q} 2>&1"


rule measure_bars:
    input:
        unpack(lambda wildcards: bar_files.measure_inputs(config, wildcards, TRUTH)),
    output:
        "results/bars/measurements/run-{run}/shard-{shard}.parquet",
    log:
        "results/logs/measure_bars/run-{run}_shard-{shard}.log",
    benchmark:
        "results/benchmarks/measure_bars/{run}_{shard}.tsv"
    wildcard_constraints:
        run="[12]",
        shard=r"\d{3}",
    conda:
        ENV
    container:
        ANALYSIS_IMAGE
    threads: 1
    resources:
        mem_mb=3000,
        runtime=60,
    params:
        code=command_code("measure"),
        settings=MeasureSettings.from_config(config).to_json(),
        saliency=lambda wildcards, input: bar_files.saliency_arguments(input),
        truth=optional_argument("truth"),
    shell:
        "python -m gzxai --quiet measure --saliency {params.saliency} --shard {input.shard:q}"
        " {params.truth} --run {wildcards.run} --params {params.settings:q}"
        " --out {output:q} > {log:q} 2>&1"


rule select_bars:
    input:
        measurements=bar_files.measurement_paths(config, 1),
        bars="results/catalogues/bars.parquet",
        images=image_index("bars"),
        split=split_file("bars"),
    output:
        table2=report(
            "results/bars/table2.csv",
            caption="../report/table2.rst",
            category="Bar lengths",
        ),
        table2_md="results/bars/table2.md",
    log:
        "results/logs/select_bars.log",
    benchmark:
        "results/benchmarks/select_bars/job.tsv"
    conda:
        ENV
    container:
        ANALYSIS_IMAGE
    threads: 1
    resources:
        mem_mb=6000,
        runtime=30,
    params:
        code=command_code("bars-select"),
        settings=SelectSettings.from_config(config).to_json(),
        out_dir=lambda wildcards, output: str(Path(output.table2).parent),
    shell:
        "python -m gzxai bars-select --measurements {input.measurements:q}"
        " --bars {input.bars:q} --images {input.images:q} --split {input.split:q}"
        " --params {params.settings:q}"
        " --out-dir {params.out_dir:q} > {log:q} 2>&1"


rule train_direct:
    input:
        bars="results/catalogues/bars.parquet",
        images=image_index("bars"),
        split=split_file("direct"),
        shards=shard_paths("bars"),
    output:
        model="results/direct/model.keras",
        history="results/direct/history.csv",
        summary="results/direct/training.json",
        predictions="results/direct/predictions.parquet",
    log:
        "results/logs/train_direct.log",
    benchmark:
        "results/benchmarks/train_direct/job.tsv"
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
        code=command_code("direct"),
        settings=DirectSettings.from_config(config).to_json(),
        work_dir=lambda wildcards, output: str(Path(output.model).parent / "work"),
    shell:
        "python -m gzxai direct --bars {input.bars:q} --images {input.images:q}"
        " --split {input.split:q} --shards {input.shards:q}"
        " --params {params.settings:q} --work-dir {params.work_dir:q}"
        " --model {output.model:q} --history {output.history:q}"
        " --summary {output.summary:q} --predictions {output.predictions:q}"
        " --threads {threads} > {log:q} 2>&1"


rule evaluate_bars:
    input:
        unpack(lambda wildcards: bar_files.evaluation_inputs(config, TRUTH)),
    output:
        metrics=report(
            "results/bars/test_metrics.csv",
            caption="../report/test_metrics.rst",
            category="Bar lengths",
        ),
        metrics_md="results/bars/test_metrics.md",
        lengths="results/bars/test_lengths.parquet",
        summary="results/bars/summary.json",
        figure=report(
            "results/figures/fig4_bar_lengths.png",
            caption="../report/fig4.rst",
            category="Bar lengths",
        ),
    log:
        "results/logs/evaluate_bars.log",
    benchmark:
        "results/benchmarks/evaluate_bars/job.tsv"
    conda:
        ENV
    container:
        ANALYSIS_IMAGE
    threads: 1
    resources:
        mem_mb=6000,
        runtime=30,
    params:
        code=command_code("bars-evaluate"),
        settings=EvaluationSettings.from_config(config).to_json(),
        truth=optional_argument("truth"),
        out_dir=lambda wildcards, output: str(Path(output.summary).parent),
    shell:
        "python -m gzxai bars-evaluate --measurements {input.measurements:q}"
        " --selection {input.selection:q} --bars {input.bars:q} --images {input.images:q}"
        " --split {input.split:q}"
        " {params.truth}"
        " --direct {input.direct:q} --params {params.settings:q}"
        " --out-dir {params.out_dir:q} --figure {output.figure:q} > {log:q} 2>&1"


rule bar_figures:
    input:
        models=expand("results/models/{member}/model.keras", member=MEMBERS),
        shards=shard_paths("bars"),
        selection="results/bars/table2.csv",
        lengths="results/bars/test_lengths.parquet",
        bars="results/catalogues/bars.parquet",
    output:
        fig1=report(
            "results/figures/fig1_saliency_answers.png",
            caption="../report/fig1.rst",
            category="Bar lengths",
        ),
        fig3=report(
            "results/figures/fig3_bar_isolation.png",
            caption="../report/fig3.rst",
            category="Bar lengths",
        ),
        appendix_a=report(
            "results/figures/appendix_a_saliency_answers.png",
            caption="../report/appendix_a.rst",
            category="Bar lengths",
        ),
        appendix_b=report(
            "results/figures/appendix_b_bar_isolation.png",
            caption="../report/appendix_b.rst",
            category="Bar lengths",
        ),
    log:
        "results/logs/bar_figures.log",
    benchmark:
        "results/benchmarks/bar_figures/job.tsv"
    conda:
        TF_ENV
    container:
        TF_IMAGE
    threads: TF_THREADS
    resources:
        gpu=1,
        mem_mb=3000,
        runtime=30,
    params:
        code=command_code("bars-figures"),
        settings=FigureSettings.from_config(config).to_json(),
        models=lambda wildcards, input: [
            f"{member}={path}" for member, path in zip(MEMBERS, input.models)
        ],
    shell:
        "python -m gzxai bars-figures --models {params.models:q} --shards {input.shards:q}"
        " --selection {input.selection:q} --lengths {input.lengths:q} --bars {input.bars:q}"
        " --params {params.settings:q} --fig1 {output.fig1:q} --fig3 {output.fig3:q}"
        " --appendix-a {output.appendix_a:q} --appendix-b {output.appendix_b:q}"
        " --threads {threads} > {log:q} 2>&1"
