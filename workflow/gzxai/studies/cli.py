"""Commands that measure the workflow itself: ``scaling`` (rerun the DAG under a few
settings), ``benchmark`` (speed against reference implementations and the machine's peak)
and ``run-times`` (wall and CPU time per rule and stage of a run)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "scaling", help="rerun the DAG under a few settings: the bar stage's ρ or the bias stage"
    )
    p.add_argument("--stage", choices=["bars", "bias"], default="bars")
    p.add_argument("--settings", default="config/scaling.yaml", help="bias: config/bias_power.yaml")
    p.add_argument("--base-workdir", help="a finished run to start every setting from")
    p.add_argument("--study-dir", default="scaling", help="one run directory per setting")
    p.add_argument("--configfile", nargs="*", default=[], help="the base run's config files")
    p.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    p.add_argument(
        "--out-dir", default="results", help="scaling.{md,json} (bias: bias_power.{md,json})"
    )
    p.set_defaults(func=study)

    p = commands.add_parser("benchmark", help="speed against reference implementations")
    p.add_argument("what", choices=["bars", "smoothgrad", "cnn", "mc", "audit", "all"])
    p.add_argument("--samples", type=int, default=64, help="SmoothGrad N")
    p.add_argument(
        "--maps-from",
        default="results/saliency/*/run-1/*/shard-*.npz",
        help="glob of a run's saliency files for the bar benchmark (skipped if none match)",
    )
    p.add_argument("--maps", type=int, default=200)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="cnn: TF threads")
    p.add_argument(
        "--configfile", nargs="*", default=[], help="cnn: config files merged over the default"
    )
    p.add_argument(
        "--vote-model",
        default="results/votes/smooth/model.keras",
        help="mc: a trained vote model (an untrained one of the configured size if absent)",
    )
    p.add_argument(
        "--vote-shard",
        default="results/images/gz2/shard-000.npz",
        help="mc: its galaxies (random images if absent)",
    )
    p.add_argument(
        "--gz2", default="results/catalogues/gz2.parquet", help="audit: its vote fractions"
    )
    p.add_argument("--out", default="results/benchmarks.json")
    p.set_defaults(func=benchmark)

    p = commands.add_parser("run-times", help="wall and CPU time per rule and stage of a run")
    p.add_argument("--benchmarks", default="results/benchmarks", help="<rule>/<job>.tsv files")
    p.add_argument(
        "--rules-dir",
        default=str(REPO / "workflow" / "rules"),
        help="the workflow's rule files (a rule's stage is its file)",
    )
    p.add_argument("--out-dir", default="results/benchmarks", help="rules.* and stages.*")
    p.add_argument("--figure", help="PNG of the time per stage")
    p.set_defaults(func=run_times)


def study(args: argparse.Namespace) -> None:
    from gzxai.studies import parameters

    table = parameters.study(
        Path(args.settings),
        snakefile=REPO / "Snakefile",
        study_dir=Path(args.study_dir),
        base=Path(args.base_workdir) if args.base_workdir else None,
        configfiles=[Path(p) for p in args.configfile],
        cores=args.cores,
        out_dir=Path(args.out_dir),
        stage=args.stage,
    )
    print(parameters.STAGES[args.stage].markdown(table))


def benchmark(args: argparse.Namespace) -> None:
    from gzxai.studies import benchmarks

    if args.what in ("bars", "all"):
        files = sorted(Path().glob(args.maps_from)) if args.maps_from else []
        result = benchmarks.bars_benchmark(n_maps=args.maps, size=args.size, saliency_files=files)
        benchmarks.record("bar_measurement", result, Path(args.out))
        print(benchmarks.describe_bars(result))
    if args.what in ("cnn", "all"):
        result = benchmarks.cnn_throughput(REPO / "config" / "config.yaml", args.configfile,
                                           threads=args.threads)  # fmt: skip
        benchmarks.record("cnn_throughput", result, Path(args.out))
        print(benchmarks.describe_cnn(result))
    if args.what in ("smoothgrad", "all"):
        result = benchmarks.smoothgrad_benchmark(size=args.size, n_samples=args.samples)
        benchmarks.record("smoothgrad", result, Path(args.out))
        print(benchmarks.describe_smoothgrad(result))
    if args.what in ("mc", "all"):
        result = benchmarks.mc_benchmark(
            REPO / "config" / "config.yaml",
            args.configfile,
            model_path=Path(args.vote_model),
            shard=Path(args.vote_shard),
            threads=args.threads,
        )
        benchmarks.record("mc_dropout", result, Path(args.out))
        print(benchmarks.describe_mc(result))
    if args.what in ("audit", "all"):
        result = benchmarks.audit_benchmark(Path(args.gz2))
        benchmarks.record("audit_similarity", result, Path(args.out))
        print(benchmarks.describe_audit(result))


def run_times(args: argparse.Namespace) -> None:
    from gzxai.studies import runtimes

    tables = runtimes.write(
        Path(args.benchmarks),
        Path(args.rules_dir),
        Path(args.out_dir),
        Path(args.figure) if args.figure else None,
    )
    print(runtimes.markdown(tables["stages"]))
    print(runtimes.describe_run(tables["run"]))
