rule fit_bias_theta:
    input:
        unpack(bias_inputs),
    output:
        theta="results/bias/theta.json",
        label_bias="results/bias/label_bias.csv",
        figure="results/figures/smooth_fraction_vs_alpha.png",
    log:
        "results/logs/fit_bias_theta.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        settings=as_json(config["bias"]),
        seed=config["seed"],
        truth=lambda wildcards, input: (
            f"--truth {input.truth}" if "truth" in input.keys() else ""
        ),
        out_dir=lambda wildcards, output: str(Path(output.theta).parent),
    shell:
        "python -m gzxai bias-theta --gz2 {input.gz2:q} {params.truth} --seed {params.seed}"
        " --params {params.settings:q} --out-dir {params.out_dir:q}"
        " --figure {output.figure:q} > {log:q} 2>&1"
