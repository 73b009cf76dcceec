# Where the run spent its time: every job's benchmark file, by rule and by stage. It runs
# after everything else (its inputs are the workflow's final outputs). The rule files it
# reads stages from are the package's own (no path param: a moved checkout reruns nothing).
rule run_times:
    input:
        final_outputs(),
    output:
        rules=report(
            "results/benchmarks/rules.csv",
            caption="../report/run_times.rst",
            category="Run time",
        ),
        rules_md="results/benchmarks/rules.md",
        stages="results/benchmarks/stages.csv",
        stages_md="results/benchmarks/stages.md",
        run="results/benchmarks/run.json",
        figure=report(
            "results/figures/run_times.png",
            caption="../report/run_times.rst",
            category="Run time",
        ),
    log:
        "results/logs/run_times.log",
    conda:
        ENV
    container:
        ANALYSIS_IMAGE
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=command_code("run-times"),
        # The tables sit beside the benchmark files they summarise.
        out_dir=lambda wildcards, output: str(Path(output.rules).parent),
    shell:
        "python -m gzxai run-times --benchmarks {params.out_dir:q}"
        " --out-dir {params.out_dir:q}"
        " --figure {output.figure:q} > {log:q} 2>&1"
