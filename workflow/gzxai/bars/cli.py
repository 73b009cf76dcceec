"""Commands of the bar stage (paper §4.4–4.6, §5.1): ``saliency`` (SmoothGrad maps of one
shard), ``measure`` (lengths over the whole grid), ``bars-select`` (Table 2 on the validation
part), ``direct`` (the direct-CNN control), ``bars-evaluate`` (the test part, Fig. 4) and
``bars-figures`` (Fig. 1, Fig. 3, Appendices A and B)."""

from __future__ import annotations

import argparse
import logging

log = logging.getLogger(__name__)


def register(commands: argparse._SubParsersAction) -> None:

    p = commands.add_parser("saliency", help="SmoothGrad maps of one bar-catalogue shard")
    p.add_argument("--model", required=True)
    p.add_argument("--shard", required=True, help="resized image shard (.npz)")
    p.add_argument("--params", required=True, help="JSON: seed and SmoothGrad settings")
    p.add_argument("--noise", type=float, required=True, help="S_noise")
    p.add_argument("--run", type=int, default=1, help="noise-seed repetition; 2+: test part")
    p.add_argument("--split", help="the bars split file (runs after the first)")
    p.add_argument("--out", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.set_defaults(func=saliency)

    p = commands.add_parser("measure", help="bar lengths of one shard's maps over the whole grid")
    p.add_argument("--saliency", nargs="+", required=True, help="member=maps.npz items")
    p.add_argument("--shard", required=True)
    p.add_argument("--truth", help="truth.parquet: adds the oracle reference (synthetic)")
    p.add_argument("--params", required=True, help="JSON: seed and the measurement grid")
    p.add_argument("--run", type=int, default=1)
    p.add_argument("--out", required=True)
    p.set_defaults(func=measure)

    _register_evaluation(commands)


def _register_evaluation(commands: argparse._SubParsersAction) -> None:
    """The commands after the measurements: Table 2, the direct CNN, the test part, figures."""
    from gzxai.cnn.cli import add_training_outputs

    p = commands.add_parser("bars-select", help="Table 2: best settings per method on validation")
    p.add_argument("--measurements", nargs="+", required=True)
    p.add_argument("--bars", required=True, help="bars.parquet")
    p.add_argument("--images", help="bars.images.parquet: only galaxies with an image")
    p.add_argument("--split", required=True, help="the bars split file")
    p.add_argument("--params", required=True, help="JSON: the unit conventions")
    p.add_argument("--out-dir", required=True)
    p.set_defaults(func=select)

    p = commands.add_parser("direct", help="train the direct CNN control on catalogue lengths")
    p.add_argument("--bars", required=True)
    p.add_argument("--images", help="bars.images.parquet: only galaxies with an image")
    p.add_argument("--shards", nargs="+", required=True)
    p.add_argument("--split", required=True, help="the direct CNN's split file")
    p.add_argument("--params", required=True, help="JSON: model, training, seed, conventions")
    p.add_argument("--predictions", required=True, help="output: predictions of every bar")
    add_training_outputs(p)
    p.set_defaults(func=direct)

    p = commands.add_parser("bars-evaluate", help="test metrics, direct CNN, Fig. 4, summary")
    p.add_argument("--measurements", nargs="+", required=True, help="runs 1 and 2")
    p.add_argument("--selection", required=True, help="table2.csv")
    p.add_argument("--bars", required=True)
    p.add_argument("--images", help="bars.images.parquet: only galaxies with an image")
    p.add_argument("--split", required=True, help="the bars split file")
    p.add_argument("--truth")
    p.add_argument("--direct", help="direct CNN predictions.parquet")
    p.add_argument("--params", required=True)
    p.add_argument("--out-dir", required=True)
    p.add_argument("--figure", required=True, help="Fig. 4 PNG")
    p.set_defaults(func=evaluate)

    p = commands.add_parser("bars-figures", help="Fig. 1, Fig. 3 and Appendices A/B")
    p.add_argument("--models", nargs="+", required=True, help="member=model.keras items")
    p.add_argument("--shards", nargs="+", required=True, help="bar-catalogue image shards")
    p.add_argument("--selection", required=True, help="table2.csv")
    p.add_argument("--lengths", required=True, help="test_lengths.parquet")
    p.add_argument("--bars", required=True)
    p.add_argument("--params", required=True)
    for name in ("fig1", "fig3", "appendix-a", "appendix-b"):
        p.add_argument(f"--{name}", required=True, help="output PNG")
    p.add_argument("--threads", type=int, default=1)
    p.set_defaults(func=figures)


def saliency(args: argparse.Namespace) -> None:
    # Input gradients keep TensorFlow's oneDNN kernels (gzxai.explain.cam_safe_kernels).
    from gzxai.bars.maps import run_saliency
    from gzxai.bars.settings import SaliencySettings
    from gzxai.cnn.train import configure_tensorflow

    settings = SaliencySettings.from_json(args.params)
    configure_tensorflow(args.threads, settings.seed)
    run_saliency(
        model=args.model,
        shard=args.shard,
        out=args.out,
        settings=settings,
        run=args.run,
        noise_level=args.noise,
        split=args.split,
        progress=not args.quiet,
    )


def measure(args: argparse.Namespace) -> None:
    from gzxai.bars.measure import run_measure
    from gzxai.bars.settings import MeasureSettings

    run_measure(
        saliency=args.saliency,
        shard=args.shard,
        out=args.out,
        settings=MeasureSettings.from_json(args.params),
        run=args.run,
        truth=args.truth,
        progress=not args.quiet,
    )


def select(args: argparse.Namespace) -> None:
    from gzxai.bars.settings import SelectSettings
    from gzxai.bars.stage import run_select

    run_select(
        measurements=args.measurements,
        bars=args.bars,
        split=args.split,
        images=args.images,
        out_dir=args.out_dir,
        settings=SelectSettings.from_json(args.params),
    )


def direct(args: argparse.Namespace) -> None:
    import pandas as pd

    from gzxai.bars.direct import direct_labels, write_direct_predictions
    from gzxai.bars.settings import DirectSettings
    from gzxai.cnn.cli import fit
    from gzxai.core.arrays import with_images
    from gzxai.core.splits import read_split

    settings = DirectSettings.from_json(args.params)
    bars = with_images(pd.read_parquet(args.bars), args.images, "dr7objid", "direct")
    labels = direct_labels(bars)
    splits = read_split(args.split).loc[labels.index]
    summary = fit(args, settings.training, labels, splits)
    write_direct_predictions(
        args.model, args.shards, bars, splits, settings.conventions, args.predictions
    )
    log.info("direct CNN trained: %s", summary)


def evaluate(args: argparse.Namespace) -> None:
    from gzxai.bars.settings import EvaluationSettings
    from gzxai.bars.stage import run_evaluate

    run_evaluate(
        measurements=args.measurements,
        selection=args.selection,
        bars=args.bars,
        split=args.split,
        images=args.images,
        truth=args.truth,
        direct=args.direct,
        out_dir=args.out_dir,
        figure=args.figure,
        settings=EvaluationSettings.from_json(args.params),
    )


def figures(args: argparse.Namespace) -> None:
    from gzxai.bars.settings import FigureSettings
    from gzxai.bars.stage import run_figures
    from gzxai.cnn.train import configure_tensorflow

    settings = FigureSettings.from_json(args.params)
    configure_tensorflow(args.threads, settings.saliency.seed)
    run_figures(
        models=dict(item.split("=", 1) for item in args.models),
        shards=args.shards,
        selection=args.selection,
        lengths=args.lengths,
        bars=args.bars,
        settings=settings,
        out={
            "fig1": args.fig1,
            "fig3": args.fig3,
            "appendix_a": args.appendix_a,
            "appendix_b": args.appendix_b,
        },
    )
