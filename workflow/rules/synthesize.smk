from gzxai.synthetic.settings import SynthesizeSettings

if config["source"] == "synthetic":

    rule synthesize:
        output:
            kaggle_solutions=str(SOURCES.kaggle_solutions),
            kaggle_train=directory(str(SOURCES.kaggle_train_images)),
            kaggle_test=directory(str(SOURCES.kaggle_test_images)),
            gz2_hart16=str(SOURCES.gz2_hart16),
            gz2sample=str(SOURCES.gz2sample),
            gz2_mapping=str(SOURCES.gz2_mapping),
            gz2_images=directory(str(SOURCES.gz2_images)),
            hoyle=str(SOURCES.hoyle),
            photometry=str(SOURCES.photometry),
            truth=str(SOURCES.truth),
            summary="results/sources/synthetic.summary.json",
        log:
            "results/logs/synthesize.log",
        benchmark:
            "results/benchmarks/synthesize/job.tsv"
        conda:
            ENV
        container:
            ANALYSIS_IMAGE
        threads: 2
        resources:
            mem_mb=4000,
            runtime=60,
        params:
            code=command_code("synthesize"),
            settings=SynthesizeSettings.from_config(config).to_json(),
            root=lambda wildcards, output: str(SOURCES.root_from(output.truth, "truth")),
        shell:
            "python -m gzxai synthesize --params {params.settings:q} --root {params.root:q}"
            " --threads {threads} --summary {output.summary:q} > {log:q} 2>&1"
