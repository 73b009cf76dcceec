# The saliency audit of the Dirichlet tree model (Su et al.): the galaxies where the model and
# the volunteers disagree most, their look-alike controls, HiResCAM and Grad-CAM maps, the
# cascading-randomisation sanity check and (synthetic) the checks against the truth.
from gzxai.audit import files as audit_files
from gzxai.audit.settings import MapSettings, RankSettings


rule audit_rank:
    input:
        **audit_files.rank_inputs(config, TRUTH),
    output:
        **synthetic_only(enrichment="results/audit/enrichment.csv"),
        ranking="results/audit/ranking.parquet",
        top=report(
            "results/audit/top.csv",
            caption="../report/audit_top.rst",
            category="Audit",
        ),
        top_md="results/audit/top.md",
        controls="results/audit/controls.csv",
        summary="results/audit/rank_summary.json",
        histograms=report(
            "results/figures/audit_histograms.png",
            caption="../report/audit_histograms.rst",
            category="Audit",
        ),
    log:
        "results/logs/audit_rank.log",
    benchmark:
        "results/benchmarks/audit_rank/job.tsv"
    conda:
        ENV
    container:
        ANALYSIS_IMAGE
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        code=command_code("audit-rank"),
        settings=RankSettings.from_config(config).to_json(),
        truth=optional_argument("truth"),
        out_dir=lambda wildcards, output: str(Path(output.ranking).parent),
    shell:
        "python -m gzxai audit-rank --gz2 {input.gz2:q} --images {input.images:q}"
        " --split {input.split:q} --samples {input.samples:q} {params.truth}"
        " --params {params.settings:q} --out-dir {params.out_dir:q}"
        " --figure {output.histograms:q} > {log:q} 2>&1"


rule audit_maps:
    input:
        **audit_files.map_inputs(config, TRUTH),
    output:
        **{
            f"cam_{number}": report(
                path, caption="../report/audit_cams.rst", category="Audit"
            )
            for number, path in enumerate(audit_files.cam_figures(config), start=1)
        },
        **synthetic_only(masks="results/audit/mask_scores.csv"),
        sanity="results/audit/sanity.csv",
        sanity_figure=report(
            "results/figures/audit_sanity.png",
            caption="../report/audit_sanity.rst",
            category="Audit",
        ),
        summary="results/audit/summary.json",
    log:
        "results/logs/audit_maps.log",
    benchmark:
        "results/benchmarks/audit_maps/job.tsv"
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
        code=command_code("audit-maps"),
        settings=MapSettings.from_config(config).to_json(),
        truth=optional_argument("truth"),
        out_dir=lambda wildcards, output: str(Path(output.summary).parent),
        figures_dir=lambda wildcards, output: str(Path(output.sanity_figure).parent),
    shell:
        "python -m gzxai audit-maps --model {input.model:q} --shards {input.shards:q}"
        " --controls {input.controls:q} --ranking {input.ranking:q}"
        " --rank-summary {input.rank_summary:q} {params.truth}"
        " --params {params.settings:q} --out-dir {params.out_dir:q}"
        " --figures-dir {params.figures_dir:q} --threads {threads} > {log:q} 2>&1"
