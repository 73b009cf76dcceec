"""Commands of the resolution-bias stage: ``bias-theta`` (θ and f_s), ``bias-labels`` (CV14
and CV18 of the labels), ``bias-train`` (the naive or the debiased classifier) and
``bias-evaluate`` (CV18 and scores of labels and classifiers, Grad-CAM, the verdict)."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

log = logging.getLogger(__name__)


def register(commands: argparse._SubParsersAction) -> None:
    from gzxai.cnn.cli import add_training_outputs

    for name, func, what in (
        ("bias-theta", fit_theta, "fit the resolution bias θ and f_s (theta.json)"),
        ("bias-labels", measure_label_bias, "CV14/CV18 of the labels (label_bias.csv)"),
    ):
        p = commands.add_parser(name, help=what)
        p.add_argument("--gz2", required=True, help="gz2.parquet")
        p.add_argument("--truth", help="truth.parquet (synthetic survey only)")
        p.add_argument("--params", required=True, help="JSON: the job's settings")
        p.add_argument("--out", required=True)
        if name == "bias-theta":
            p.add_argument("--figure", required=True)
        p.set_defaults(func=func)

    p = commands.add_parser(
        "bias-train", help="train the naive or the debiased smooth/disk classifier"
    )
    p.add_argument("--kind", required=True, choices=["naive", "debiased"])
    p.add_argument("--gz2", required=True)
    p.add_argument("--theta", help="theta.json of fit_bias_theta (debiased only)")
    p.add_argument("--images", help="gz2.images.parquet: only galaxies with an image")
    p.add_argument("--split", required=True, help="the classifiers' split file")
    p.add_argument("--shards", nargs="+", required=True)
    p.add_argument("--params", required=True, help="JSON: model, training, seed, image_size")
    add_training_outputs(p)
    p.set_defaults(func=train_classifier)

    p = commands.add_parser(
        "bias-evaluate", help="CV18 and scores of labels and classifiers; figures"
    )
    p.add_argument("--gz2", required=True)
    p.add_argument("--images", help="gz2.images.parquet: only galaxies with an image")
    p.add_argument("--truth")
    p.add_argument("--theta", required=True, help="theta.json of fit_bias_theta")
    p.add_argument("--predictions", nargs=2, required=True, help="naive, debiased")
    p.add_argument("--models", nargs=2, required=True, help="naive, debiased")
    p.add_argument("--shards", nargs="+", required=True)
    p.add_argument("--split", required=True, help="the classifiers' split file")
    p.add_argument("--params", required=True, help="JSON: seed and CV18 settings")
    p.add_argument("--out-dir", required=True)
    p.add_argument("--figures-dir", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.set_defaults(func=evaluate_classifiers)


def fit_theta(args: argparse.Namespace) -> None:
    from gzxai.bias.settings import ThetaSettings
    from gzxai.bias.stage import run_theta

    settings = ThetaSettings.from_json(args.params)
    run_theta(gz2=args.gz2, truth=args.truth, settings=settings, out=args.out, figure=args.figure)


def measure_label_bias(args: argparse.Namespace) -> None:
    from gzxai.bias.settings import LabelBiasSettings
    from gzxai.bias.stage import run_label_bias

    settings = LabelBiasSettings.from_json(args.params)
    run_label_bias(gz2=args.gz2, truth=args.truth, settings=settings, out=args.out)


def train_classifier(args: argparse.Namespace) -> None:
    from gzxai.bias.classifier import training_targets
    from gzxai.bias.stage import classifier_galaxies
    from gzxai.cnn.cli import fit
    from gzxai.cnn.settings import TrainingSettings

    settings = TrainingSettings.from_json(args.params)
    galaxies, splits = classifier_galaxies(args.gz2, args.split, args.images)
    theta = json.loads(Path(args.theta).read_text())["theta"] if args.theta else float("nan")
    targets = training_targets(galaxies, args.kind, theta)
    summary = fit(args, settings, targets, splits.loc[targets.index])
    log.info("%s classifier (θ = %.2f): %s", args.kind, theta, summary)


def evaluate_classifiers(args: argparse.Namespace) -> None:
    from gzxai.explain import cam_safe_kernels

    cam_safe_kernels()  # Grad-CAM: before TensorFlow is imported
    from gzxai.bias.settings import EvaluationSettings
    from gzxai.bias.stage import run_evaluate
    from gzxai.cnn.train import configure_tensorflow

    settings = EvaluationSettings.from_json(args.params)
    configure_tensorflow(args.threads, settings.seed)
    run_evaluate(
        gz2=args.gz2,
        images=args.images,
        truth=args.truth,
        theta=args.theta,
        predictions=args.predictions,
        models=args.models,
        shards=args.shards,
        split=args.split,
        settings=settings,
        out_dir=args.out_dir,
        figures_dir=args.figures_dir,
    )
