"""Commands of the audit: ``audit-rank`` (the ranking, the top table, the look-alike controls
and the truth's enrichment; no TensorFlow) and ``audit-maps`` (CAMs, the sanity check and the
bar-mask scores)."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("audit-rank", help="where the model and the volunteers disagree")
    p.add_argument("--gz2", required=True)
    p.add_argument("--images", help="the GZ2 image index: only galaxies with a readable image")
    p.add_argument("--split", required=True, help="the vote models' split (test galaxies ranked)")
    p.add_argument("--samples", nargs="+", required=True, help="the tree model's MC samples")
    p.add_argument("--truth", help="the synthetic truth (omit for real data)")
    p.add_argument("--params", required=True)
    p.add_argument("--out-dir", required=True)
    p.add_argument("--figure", required=True, help="the observed-fraction histograms")
    p.set_defaults(func=rank)

    p = commands.add_parser("audit-maps", help="CAMs, the sanity check, bar-mask scores")
    p.add_argument("--model", required=True, help="the tree model")
    p.add_argument("--shards", nargs="+", required=True)
    p.add_argument("--controls", required=True)
    p.add_argument("--ranking", required=True)
    p.add_argument("--rank-summary", required=True, help="audit-rank's summary, merged in")
    p.add_argument("--truth", help="the synthetic truth (omit for real data)")
    p.add_argument("--params", required=True)
    p.add_argument("--out-dir", required=True)
    p.add_argument("--figures-dir", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.set_defaults(func=maps)


def rank(args: argparse.Namespace) -> None:
    from gzxai.audit.settings import RankSettings
    from gzxai.audit.stage import run_rank

    run_rank(
        gz2=args.gz2,
        images=args.images,
        split=args.split,
        samples=args.samples,
        truth_path=args.truth,
        settings=RankSettings.from_json(args.params),
        out_dir=args.out_dir,
        figure=args.figure,
    )


def maps(args: argparse.Namespace) -> None:
    from gzxai.explain import cam_safe_kernels

    cam_safe_kernels()  # the CAMs: before TensorFlow is imported
    from gzxai.audit.settings import MapSettings
    from gzxai.audit.stage import run_maps
    from gzxai.cnn.train import configure_tensorflow

    settings = MapSettings.from_json(args.params)
    configure_tensorflow(args.threads, settings.seed)
    run_maps(
        model_path=args.model,
        shards=args.shards,
        controls=args.controls,
        ranking_path=args.ranking,
        rank_summary=args.rank_summary,
        truth_path=args.truth,
        settings=settings,
        out_dir=args.out_dir,
        figures_dir=args.figures_dir,
    )
