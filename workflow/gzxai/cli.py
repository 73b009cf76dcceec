"""Command line of every stage: ``python -m gzxai <stage> ...`` (or the ``gzxai`` script).

The Snakemake rules call exactly these commands, so a stage can be rerun or debugged by
hand with the same arguments the workflow used (``snakemake -p`` prints them).
Stage settings arrive as one JSON object (``--params``), which Snakemake also records, so a
changed setting reruns exactly the jobs it affects.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

import pandas as pd

from gzxai.core.errors import GzxaiError
from gzxai.core.io import write_csv, write_json, write_parquet, write_text
from gzxai.core.layout import SourceLayout
from gzxai.core.redact import RedactingFilter
from gzxai.core.units import HoyleLengthUnits, LengthScaled
from gzxai.sources import catalogues, images
from gzxai.sources.images import read_by_id

log = logging.getLogger("gzxai")


def _synthesize(args: argparse.Namespace) -> None:
    from gzxai.synthetic.survey import SurveyConfig, write_survey

    cfg = SurveyConfig.from_config(json.loads(args.params))
    summary = write_survey(cfg, Path(args.root), threads=args.threads, progress=not args.quiet)
    log.info("synthetic survey: %s", summary)
    if args.summary:
        write_json(summary, args.summary)


def _catalogue(args: argparse.Namespace) -> None:
    params = json.loads(args.params)
    layout = SourceLayout(Path(args.source_root))
    if args.table == "kaggle":
        built = catalogues.build_kaggle(layout, tree_sum_tolerance=params["tree_sum_tolerance"])
    elif args.table == "gz2":
        built = catalogues.build_gz2(layout)
    else:
        built = catalogues.build_bars(
            layout,
            length_units=HoyleLengthUnits(params["hoyle_length_units"]),
            length_scaled=LengthScaled(params["length_scaled"]),
            hubble_h=params["cosmology"]["h0"] / 100.0,
        )
    write_parquet(built.table, args.out)
    write_csv(built.quarantine, args.quarantine)
    write_json(built.summary, args.summary)
    log.info("%s table: %s", args.table, built.summary)
    if built.quarantine.shape[0]:
        log.warning("%d row(s) set aside, see %s", len(built.quarantine), args.quarantine)


def _catalogue_summary(args: argparse.Namespace) -> None:
    table = pd.read_parquet(args.table)
    index = images.image_index(args.shards)
    unreadable = images.read_quarantines(args.quarantines)
    key = images.DATASETS[args.dataset].key
    summary = catalogues.with_image_outcomes(
        json.loads(Path(args.build).read_text()), table, key, index, unreadable
    )
    write_parquet(index, args.index)
    write_csv(unreadable, args.unreadable)
    write_json(summary, args.summary)
    if len(unreadable):
        log.warning(
            "%s: %d unreadable image(s), left out of every stage: see %s",
            args.dataset,
            len(unreadable),
            args.unreadable,
        )


def _resize(args: argparse.Namespace) -> None:
    table = pd.read_parquet(args.table)
    arrays, quarantine = images.build_shard(
        table,
        dataset=args.dataset,
        source_root=Path(args.source_root),
        shard=args.shard,
        n_shards=args.n_shards,
        crop_px=args.crop_px,
        size_px=args.size_px,
        progress=not args.quiet,
    )
    images.write_shard(arrays, Path(args.out))
    write_csv(quarantine, args.quarantine)
    if len(quarantine):
        log.warning("%d unreadable image(s), see %s", len(quarantine), args.quarantine)


def _split(args: argparse.Namespace) -> None:
    from gzxai.cnn.train import assign_splits

    table = pd.read_parquet(args.table, columns=["galaxy_id", "labelled"])
    table = images.with_images(table, args.images, "galaxy_id", "split")
    ids = table.loc[table["labelled"], "galaxy_id"].to_numpy()
    splits = assign_splits(ids, args.seed, args.val_fraction, args.test_fraction)
    write_parquet(pd.DataFrame({"galaxy_id": ids, "split": splits}), args.out)
    log.info("splits: %s", pd.Series(splits).value_counts().to_dict())


def _labels(table_path: str) -> pd.DataFrame:
    from gzxai.core.trees import load_tree

    table = pd.read_parquet(table_path)
    labelled = table[table["labelled"]].set_index("galaxy_id")
    return labelled[load_tree().kaggle_columns].astype("float32")


def _fit(args: argparse.Namespace, params: dict, training: dict, labels, splits) -> dict:
    """One train_member call with the job's files: shared by the members and the classifiers."""
    from gzxai.cnn.models import ModelConfig
    from gzxai.cnn.train import TrainingConfig, train_member

    return train_member(
        model_cfg=ModelConfig.from_config(params["model"]),
        train_cfg=TrainingConfig.from_config(training),
        shard_paths=[Path(p) for p in args.shards],
        labels=labels,
        splits=splits,
        image_size=int(params["image_size"]),
        seed=int(params["seed"]),
        work_dir=Path(args.work_dir),
        model_path=Path(args.model),
        history_path=Path(args.history),
        summary_path=Path(args.summary),
        threads=args.threads,
    )


def _train(args: argparse.Namespace) -> None:
    params = json.loads(args.params)
    splits = pd.read_parquet(args.splits).set_index("galaxy_id")["split"]
    summary = _fit(args, params, params["training"], _labels(args.table), splits)
    log.info("trained: %s", summary)


def _predict(args: argparse.Namespace) -> None:
    from gzxai.cnn.train import configure_tensorflow, predict_shards
    from gzxai.core.trees import load_tree

    configure_tensorflow(args.threads, seed=0)
    predictions = predict_shards(Path(args.model), [Path(p) for p in args.shards])
    names = {37: load_tree().kaggle_columns, 1: ["p_smooth"]}
    if predictions.shape[1] not in names:
        raise GzxaiError(
            f"{args.model}: {predictions.shape[1]} outputs; expected 37 vote fractions or 1"
        )
    predictions.columns = names[predictions.shape[1]]
    write_parquet(predictions.reset_index(), args.out)


def _ensemble(args: argparse.Namespace) -> None:
    from gzxai.core import figures
    from gzxai.ensemble import evaluate

    names = args.names
    members = {
        n: pd.read_parquet(p).set_index("galaxy_id")
        for n, p in zip(names, args.predictions, strict=True)
    }
    summaries = {
        n: json.loads(Path(p).read_text()) for n, p in zip(names, args.summaries, strict=True)
    }
    histories = {n: pd.read_csv(p) for n, p in zip(names, args.histories, strict=True)}
    splits = pd.read_parquet(args.splits).set_index("galaxy_id")["split"]
    # The split holds the labelled galaxies with a readable image: the ones every member saw.
    labels = _labels(args.table).loc[splits.index]
    mean = evaluate.average(members)
    out = Path(args.out_dir)
    table = evaluate.table1(members, mean, labels, splits, summaries)
    write_csv(table, out / "table1.csv")
    write_text(evaluate.markdown_table(table), out / "table1.md")
    write_parquet(mean.reset_index(), out / "predictions.parquet")
    unlabelled = mean.index.difference(labels.index).to_numpy()
    write_csv(evaluate.submission(mean, unlabelled), out / "kaggle_submission.csv")
    figures.learning_curves(histories, Path(args.figures_dir) / "learning_curves.png")
    _misclassification(mean, labels, splits, args, out)
    log.info("Table 1:\n%s", evaluate.markdown_table(table))


def _misclassification(mean, labels, splits, args, out: Path) -> None:
    from gzxai.core import figures
    from gzxai.ensemble import evaluate

    audit = evaluate.q1_disagreements(mean, labels).assign(
        split=lambda t: splits.loc[t["galaxy_id"]].to_numpy()
    )
    worst = audit[audit["disagree"]].sort_values("gap", ascending=False).head(args.gallery_size)
    write_csv(
        audit[audit["disagree"]].sort_values("gap", ascending=False), out / "q1_disagreements.csv"
    )
    summary = {
        "labelled_galaxies": len(audit),
        "q1_disagreement_fraction": float(audit["disagree"].mean()),
        "q1_disagreement_fraction_test": float(
            audit.loc[audit["split"] == "test", "disagree"].mean()
        ),
        "paper_value": 0.08,
    }
    write_json(summary, out / "misclassification.json")
    images = list(read_by_id(args.shards, worst["galaxy_id"].to_numpy()))
    titles = [
        f"{r.galaxy_id}: model {r.model_answer} ({r.model_confidence:.0%})\n"
        f"votes {r.vote_answer} ({r.vote_share_of_vote_answer:.0%})"
        for r in worst.itertuples()
    ]
    figures.gallery(images, titles, Path(args.figures_dir) / "q1_disagreements.png")


def _fetch(args: argparse.Namespace) -> None:
    from gzxai.sources import fetch

    params = json.loads(args.params)
    retry = fetch.RetryPolicy(
        params["retries"], params["backoff_seconds"], params["timeout_seconds"]
    )
    progress = not args.quiet
    url = fetch.resolve_url(args.url)
    if args.what == "file":
        fetch.download(url, Path(args.out), md5=params["md5"], retry=retry, progress=progress)
    elif args.what == "gunzip":
        archive = Path(args.downloads) / Path(args.out).with_suffix(".csv.gz").name
        fetch.download(url, archive, md5=params["md5"], retry=retry, progress=progress)
        fetch.gunzip(archive, Path(args.out))
    elif args.what == "archive":
        archive = Path(args.downloads) / "images_gz2.zip"
        fetch.download(url, archive, md5=params["md5"], retry=retry, progress=progress)
        fetch.safe_extract(archive, Path(args.target), progress=progress)
        _expect(args.expect, archive)
    elif args.what == "kaggle":
        downloads, target = Path(args.downloads), Path(args.target)
        if url:
            fetch.fetch_kaggle_mirror(
                url,
                downloads,
                target,
                md5=params["md5"],
                retry=retry,
                progress=progress,
            )
        else:
            fetch.fetch_kaggle(params["kaggle_competition"], downloads, target, progress=progress)
        _expect(str(target / "training_solutions_rev1.csv"), params["kaggle_competition"])
    else:
        ids = fetch.gz2_objids(Path(args.hart16), [Path(p) for p in args.extra])
        summary = fetch.fetch_photometry(
            ids,
            url,
            Path(args.batches),
            Path(args.out),
            batch_size=params["sdss_batch_size"],
            retry=retry,
            progress=progress,
        )
        log.info("SDSS photometry: %s", summary)


def _expect(path: str | None, source) -> None:
    from gzxai.sources.fetch import FetchError

    if path and not Path(path).exists():
        raise FetchError(
            f"{source}: unpacked, but {path} is not there; is the archive the right one?"
        )


def _bias_theta(args: argparse.Namespace) -> None:
    from gzxai.bias.stage import run_theta

    run_theta(
        gz2=args.gz2,
        truth=args.truth,
        params=json.loads(args.params),
        seed=args.seed,
        out=args.out,
        figure=args.figure,
    )


def _bias_labels(args: argparse.Namespace) -> None:
    from gzxai.bias.stage import run_label_bias

    run_label_bias(
        gz2=args.gz2, truth=args.truth, params=json.loads(args.params), seed=args.seed, out=args.out
    )


def _bias_train(args: argparse.Namespace) -> None:
    from gzxai.bias import classifier
    from gzxai.cnn.train import assign_splits

    params = json.loads(args.params)
    galaxies = classifier.usable_galaxies(
        images.with_images(pd.read_parquet(args.gz2), args.images, "dr7objid", "bias-train")
    )
    theta = json.loads(Path(args.theta).read_text())["theta"] if args.theta else float("nan")
    targets = classifier.training_targets(galaxies, args.kind, theta)
    splits = pd.Series(
        assign_splits(
            targets.index.to_numpy(),
            params["seed"],
            params["validation_fraction"],
            params["test_fraction"],
        ),
        index=targets.index,
    )
    training = {**params["training"], "loss": "debiased"}
    summary = _fit(args, params, training, targets, splits)
    log.info("%s classifier (θ = %.2f): %s", args.kind, theta, summary)


def _bias_evaluate(args: argparse.Namespace) -> None:
    _without_onednn()  # Grad-CAM takes gradients of intermediate feature maps
    from gzxai.bias.stage import run_evaluate
    from gzxai.cnn.train import configure_tensorflow

    params = json.loads(args.params)
    configure_tensorflow(args.threads, params["seed"])
    run_evaluate(
        gz2=args.gz2,
        images=args.images,
        truth=args.truth,
        theta=args.theta,
        predictions=args.predictions,
        models=args.models,
        shards=args.shards,
        params=params,
        out_dir=args.out_dir,
        figures_dir=args.figures_dir,
    )


def _without_onednn() -> None:
    """TensorFlow 2.21's oneDNN CPU kernels can abort ("double free") on gradients through
    small convolutions for some batch sizes; they must be off before TensorFlow is imported."""
    os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"


def _saliency(args: argparse.Namespace) -> None:
    # Input gradients run with TensorFlow's default oneDNN kernels (about 2x faster here);
    # only Grad-CAM's intermediate-feature gradients need them off.
    from gzxai.bars.stage import run_saliency
    from gzxai.cnn.train import configure_tensorflow

    params = json.loads(args.params)
    configure_tensorflow(args.threads, params["seed"])
    run_saliency(
        model=args.model,
        shard=args.shard,
        out=args.out,
        params=params,
        run=args.run,
        noise_level=args.noise,
        progress=not args.quiet,
    )


def _measure(args: argparse.Namespace) -> None:
    from gzxai.bars.stage import run_measure

    run_measure(
        saliency=args.saliency,
        shard=args.shard,
        out=args.out,
        params=json.loads(args.params),
        run=args.run,
        truth=args.truth,
        progress=not args.quiet,
    )


def _bars_select(args: argparse.Namespace) -> None:
    from gzxai.bars.stage import run_select

    run_select(
        measurements=args.measurements,
        bars=args.bars,
        images=args.images,
        out_dir=args.out_dir,
        params=json.loads(args.params),
    )


def _bars_evaluate(args: argparse.Namespace) -> None:
    from gzxai.bars.stage import run_evaluate

    run_evaluate(
        measurements=args.measurements,
        selection=args.selection,
        bars=args.bars,
        images=args.images,
        truth=args.truth,
        direct=args.direct,
        out_dir=args.out_dir,
        figure=args.figure,
        params=json.loads(args.params),
    )


def _bars_figures(args: argparse.Namespace) -> None:
    from gzxai.bars.stage import run_figures
    from gzxai.cnn.train import configure_tensorflow

    params = json.loads(args.params)
    configure_tensorflow(args.threads, params["seed"])
    run_figures(
        models=dict(item.split("=", 1) for item in args.models),
        shards=args.shards,
        selection=args.selection,
        lengths=args.lengths,
        bars=args.bars,
        params=params,
        out={
            "fig1": args.fig1,
            "fig3": args.fig3,
            "appendix_a": args.appendix_a,
            "appendix_b": args.appendix_b,
        },
    )


def _scaling(args: argparse.Namespace) -> None:
    from gzxai.studies import parameters

    repo = Path(__file__).resolve().parents[2]
    table = parameters.study(
        Path(args.settings),
        snakefile=repo / "Snakefile",
        study_dir=Path(args.study_dir),
        base=Path(args.base_workdir) if args.base_workdir else None,
        configfiles=[Path(p) for p in args.configfile],
        cores=args.cores,
        out_dir=Path(args.out_dir),
        stage=args.stage,
    )
    print(parameters.STAGES[args.stage].markdown(table))


def _direct(args: argparse.Namespace) -> None:
    from gzxai.bars.stage import direct_labels, direct_splits, write_direct_predictions

    params = json.loads(args.params)
    bars = images.with_images(pd.read_parquet(args.bars), args.images, "dr7objid", "direct")
    labels = direct_labels(bars)
    splits = direct_splits(labels.index.to_numpy(), params)
    summary = _fit(args, params, params["training"], labels, splits)
    write_direct_predictions(args.model, args.shards, bars, splits, params, args.predictions)
    log.info("direct CNN trained: %s", summary)


def _benchmark(args: argparse.Namespace) -> None:
    from gzxai.studies import benchmarks

    if args.what in ("bars", "all"):
        files = sorted(Path().glob(args.maps_from)) if args.maps_from else []
        result = benchmarks.bars_benchmark(n_maps=args.maps, size=args.size, saliency_files=files)
        benchmarks.record("bar_measurement", result, Path(args.out))
        for name, r in result.items():
            print(
                f"bar measurement ({name}, {r['maps']} maps): fast {r['fast_maps_per_second']:.0f}"
                f" maps/s, literal {r['literal_maps_per_second']:.1f} maps/s, ratio "
                f"{r['speedup']:.0f}x; {r['identical_lengths']}/{r['maps']} lengths identical"
            )
    if args.what in ("cnn", "all"):
        _cnn_benchmark(args)
    if args.what in ("smoothgrad", "all"):
        result = benchmarks.smoothgrad_benchmark(size=args.size, n_samples=args.samples)
        benchmarks.record("smoothgrad", result, Path(args.out))
        print(
            f"SmoothGrad ({result['model']}, N={result['n_samples']}): gzxai "
            f"{result['gzxai_gradients_per_second']:.1f} gradients/s, tf-keras-vis "
            f"{result['tf_keras_vis_gradients_per_second']:.2f} gradients/s, ratio "
            f"{result['speedup']:.0f}x; N=1, σ=0 maps differ by at most "
            f"{result['max_abs_difference_n1_sigma0']:.1e}"
        )


def _run_times(args: argparse.Namespace) -> None:
    from gzxai.studies import runtimes

    tables = runtimes.write(
        Path(args.benchmarks),
        Path(args.rules_dir),
        Path(args.out_dir),
        Path(args.figure) if args.figure else None,
    )
    print(runtimes.markdown(tables["stages"]))


def _cnn_benchmark(args: argparse.Namespace) -> None:
    import yaml
    from snakemake.utils import update_config

    from gzxai.studies import benchmarks
    from gzxai.studies.throughput import cnn_benchmark

    repo = Path(__file__).resolve().parents[2]
    config = yaml.safe_load((repo / "config" / "config.yaml").read_text())
    for path in args.configfile:
        update_config(config, yaml.safe_load(Path(path).read_text()))
    result = cnn_benchmark(config, threads=args.threads)
    benchmarks.record("cnn_throughput", result, Path(args.out))
    print(f"matmul peak ({result['threads']} threads): "
          f"{result['matmul_peak_gflop_per_second']:.1f} GFLOP/s")  # fmt: skip
    for row in result["jobs"]:
        print(
            f"{row['job']:28s} {row['images_per_second']:8.0f} images/s  CPU/wall "
            f"{row['cpu_over_wall']:.2f}  {row['achieved_gflop_per_second']:6.1f} GFLOP/s "
            f"= {row['fraction_of_matmul_peak']:.0%} of peak"
        )


def _priors(args: argparse.Namespace) -> None:
    from gzxai.synthetic import priors

    write_json(priors.derive(Path(args.hoyle), Path(args.erwin)), args.out)


def _add_training_outputs(parser: argparse.ArgumentParser) -> None:
    """Arguments of every command that trains a model through gzxai.cnn.train.train_member."""
    parser.add_argument("--work-dir", required=True, help="backups for resuming a killed run")
    parser.add_argument("--model", required=True, help="output .keras file")
    parser.add_argument("--history", required=True, help="per-epoch CSV")
    parser.add_argument("--summary", required=True, help="training.json")
    parser.add_argument("--threads", type=int, default=1)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gzxai", description=__doc__.splitlines()[0])
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    sub = parser.add_subparsers(dest="stage", required=True)

    p = sub.add_parser("synthesize", help="generate the synthetic survey in the real formats")
    p.add_argument("--params", required=True, help="JSON: seed, synthetic and conventions blocks")
    p.add_argument("--root", required=True, help="source root to write")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--summary", help="JSON summary to write")
    p.set_defaults(func=_synthesize)

    p = sub.add_parser("catalogue", help="build one canonical table from the source files")
    p.add_argument("table", choices=["kaggle", "gz2", "bars"])
    p.add_argument("--source-root", required=True)
    p.add_argument("--params", default="{}", help="JSON: the catalogues block and conventions")
    p.add_argument("--out", required=True, help="canonical Parquet table")
    p.add_argument("--quarantine", required=True, help="CSV report of rows set aside")
    p.add_argument("--summary", required=True, help="JSON summary of the build")
    p.set_defaults(func=_catalogue)

    p = sub.add_parser(
        "catalogue-summary", help="a table's image index, unreadable images and summary"
    )
    p.add_argument("--dataset", required=True, choices=sorted(images.DATASETS))
    p.add_argument("--table", required=True, help="the canonical table (parquet)")
    p.add_argument("--build", required=True, help="the catalogue stage's build summary (JSON)")
    p.add_argument("--shards", nargs="+", required=True)
    p.add_argument("--quarantines", nargs="+", required=True, help="the shards' reports")
    p.add_argument("--index", required=True, help="output: galaxies with a readable image")
    p.add_argument("--unreadable", required=True, help="output: CSV of unreadable images")
    p.add_argument("--summary", required=True, help="output: the table's summary (JSON)")
    p.set_defaults(func=_catalogue_summary)

    p = sub.add_parser("resize", help="crop and resize one shard of a table's images")
    p.add_argument("--table", required=True)
    p.add_argument("--dataset", required=True, choices=sorted(images.DATASETS))
    p.add_argument("--source-root", required=True)
    p.add_argument("--shard", type=int, required=True)
    p.add_argument("--n-shards", type=int, required=True)
    p.add_argument("--crop-px", type=int, required=True)
    p.add_argument("--size-px", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--quarantine", required=True)
    p.set_defaults(func=_resize)

    p = sub.add_parser("split", help="assign labelled Kaggle galaxies to train / val / test")
    p.add_argument("--table", required=True, help="kaggle.parquet")
    p.add_argument("--images", help="kaggle.images.parquet: only galaxies with an image")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--val-fraction", type=float, required=True)
    p.add_argument("--test-fraction", type=float, required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=_split)

    p = sub.add_parser("train", help="train one ensemble member")
    p.add_argument("--params", required=True, help="JSON: model, training, seed, image_size")
    p.add_argument("--table", required=True, help="kaggle.parquet")
    p.add_argument("--splits", required=True)
    p.add_argument("--shards", nargs="+", required=True)
    _add_training_outputs(p)
    p.set_defaults(func=_train)

    p = sub.add_parser("predict", help="predict the 37 answers for every image of the shards")
    p.add_argument("--model", required=True)
    p.add_argument("--shards", nargs="+", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.set_defaults(func=_predict)

    p = sub.add_parser("ensemble", help="average the members; Table 1, submission, audit")
    p.add_argument("--names", nargs="+", required=True)
    p.add_argument("--predictions", nargs="+", required=True)
    p.add_argument("--summaries", nargs="+", required=True)
    p.add_argument("--histories", nargs="+", required=True)
    p.add_argument("--table", required=True)
    p.add_argument("--splits", required=True)
    p.add_argument("--shards", nargs="+", required=True)
    p.add_argument("--gallery-size", type=int, default=8)
    p.add_argument("--out-dir", required=True)
    p.add_argument("--figures-dir", required=True)
    p.set_defaults(func=_ensemble)

    p = sub.add_parser("fetch", help="obtain one real source (login node: needs internet)")
    p.add_argument("what", choices=["kaggle", "file", "gunzip", "archive", "photometry"])
    p.add_argument("--params", required=True, help="JSON: retry policy, md5, endpoints")
    p.add_argument(
        "--url",
        help="source URL (kaggle: a mirror of the competition zip, else the Kaggle API; "
        "photometry: the SQL endpoint), or env:NAME to read it from the environment",
    )
    p.add_argument("--out")
    p.add_argument("--downloads", help="folder for archives and partial downloads")
    p.add_argument("--target", help="folder to unpack into")
    p.add_argument("--expect", help="path that must exist after unpacking")
    p.add_argument("--hart16", help="gz2_hart16.csv.gz: the objids needing photometry")
    p.add_argument("--extra", nargs="*", default=[], help="more tables with an objid column")
    p.add_argument("--batches", help="cache folder of answered SQL batches")
    p.set_defaults(func=_fetch)

    for name, func, what in (
        ("bias-theta", _bias_theta, "fit the resolution bias θ and f_s (theta.json)"),
        ("bias-labels", _bias_labels, "CV14/CV18 of the labels (label_bias.csv)"),
    ):
        p = sub.add_parser(name, help=what)
        p.add_argument("--gz2", required=True, help="gz2.parquet")
        p.add_argument("--truth", help="truth.parquet (synthetic survey only)")
        p.add_argument("--params", required=True, help="JSON: the bias block without classifier")
        p.add_argument("--seed", type=int, required=True)
        p.add_argument("--out", required=True)
        if name == "bias-theta":
            p.add_argument("--figure", required=True)
        p.set_defaults(func=func)

    p = sub.add_parser("bias-train", help="train the naive or the debiased smooth/disk classifier")
    p.add_argument("--kind", required=True, choices=["naive", "debiased"])
    p.add_argument("--gz2", required=True)
    p.add_argument("--theta", help="theta.json of fit_bias_theta (debiased only)")
    p.add_argument("--images", help="gz2.images.parquet: only galaxies with an image")
    p.add_argument("--shards", nargs="+", required=True)
    p.add_argument(
        "--params", required=True, help="JSON: model, training, splits, seed, image_size"
    )
    _add_training_outputs(p)
    p.set_defaults(func=_bias_train)

    p = sub.add_parser("bias-evaluate", help="CV18 and scores of labels and classifiers; figures")
    p.add_argument("--gz2", required=True)
    p.add_argument("--images", help="gz2.images.parquet: only galaxies with an image")
    p.add_argument("--truth")
    p.add_argument("--theta", required=True, help="theta.json of fit_bias_theta")
    p.add_argument("--predictions", nargs=2, required=True, help="naive, debiased")
    p.add_argument("--models", nargs=2, required=True, help="naive, debiased")
    p.add_argument("--shards", nargs="+", required=True)
    p.add_argument("--params", required=True)
    p.add_argument("--out-dir", required=True)
    p.add_argument("--figures-dir", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.set_defaults(func=_bias_evaluate)

    p = sub.add_parser("saliency", help="SmoothGrad maps of one bar-catalogue shard")
    p.add_argument("--model", required=True)
    p.add_argument("--shard", required=True, help="resized image shard (.npz)")
    p.add_argument("--params", required=True, help="JSON: seed, saliency and measure blocks")
    p.add_argument("--noise", type=float, required=True, help="S_noise")
    p.add_argument("--run", type=int, default=1, help="noise-seed repetition; 2+: test part")
    p.add_argument("--out", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.set_defaults(func=_saliency)

    p = sub.add_parser("measure", help="bar lengths of one shard's maps over the whole grid")
    p.add_argument("--saliency", nargs="+", required=True, help="member=maps.npz items")
    p.add_argument("--shard", required=True)
    p.add_argument("--truth", help="truth.parquet: adds the oracle reference (synthetic)")
    p.add_argument("--params", required=True, help="JSON: seed and measure block")
    p.add_argument("--run", type=int, default=1)
    p.add_argument("--out", required=True)
    p.set_defaults(func=_measure)

    p = sub.add_parser("bars-select", help="Table 2: best settings per method on validation")
    p.add_argument("--measurements", nargs="+", required=True)
    p.add_argument("--bars", required=True, help="bars.parquet")
    p.add_argument("--images", help="bars.images.parquet: only galaxies with an image")
    p.add_argument("--params", required=True, help="JSON: conventions, images, measure")
    p.add_argument("--out-dir", required=True)
    p.set_defaults(func=_bars_select)

    p = sub.add_parser("bars-evaluate", help="test metrics, direct CNN, Fig. 4, summary")
    p.add_argument("--measurements", nargs="+", required=True, help="runs 1 and 2")
    p.add_argument("--selection", required=True, help="table2.csv")
    p.add_argument("--bars", required=True)
    p.add_argument("--images", help="bars.images.parquet: only galaxies with an image")
    p.add_argument("--truth")
    p.add_argument("--direct", help="direct CNN predictions.parquet")
    p.add_argument("--params", required=True)
    p.add_argument("--out-dir", required=True)
    p.add_argument("--figure", required=True, help="Fig. 4 PNG")
    p.set_defaults(func=_bars_evaluate)

    p = sub.add_parser("bars-figures", help="Fig. 1, Fig. 3 and Appendices A/B")
    p.add_argument("--models", nargs="+", required=True, help="member=model.keras items")
    p.add_argument("--shards", nargs="+", required=True, help="bar-catalogue image shards")
    p.add_argument("--selection", required=True, help="table2.csv")
    p.add_argument("--lengths", required=True, help="test_lengths.parquet")
    p.add_argument("--bars", required=True)
    p.add_argument("--params", required=True)
    for name in ("fig1", "fig3", "appendix-a", "appendix-b"):
        p.add_argument(f"--{name}", required=True, help="output PNG")
    p.add_argument("--threads", type=int, default=1)
    p.set_defaults(func=_bars_figures)

    p = sub.add_parser(
        "scaling", help="rerun the DAG under a few settings: the bar stage's ρ or the bias stage"
    )
    p.add_argument("--stage", choices=["bars", "bias"], default="bars")
    p.add_argument("--settings", default="config/scaling.yaml", help="bias: config/bias_study.yaml")
    p.add_argument("--base-workdir", help="a finished run to start every setting from")
    p.add_argument("--study-dir", default="scaling", help="one run directory per setting")
    p.add_argument("--configfile", nargs="*", default=[], help="the base run's config files")
    p.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    p.add_argument(
        "--out-dir", default="results", help="scaling.{md,json} (bias: bias_study.{md,json})"
    )
    p.set_defaults(func=_scaling)

    p = sub.add_parser("direct", help="train the direct CNN control on catalogue bar lengths")
    p.add_argument("--bars", required=True)
    p.add_argument("--images", help="bars.images.parquet: only galaxies with an image")
    p.add_argument("--shards", nargs="+", required=True)
    p.add_argument("--params", required=True, help="JSON: model, training, splits, seed")
    p.add_argument("--predictions", required=True, help="output: predictions of every bar")
    _add_training_outputs(p)
    p.set_defaults(func=_direct)

    p = sub.add_parser("benchmark", help="measure speed ratios against reference implementations")
    p.add_argument("what", choices=["bars", "smoothgrad", "cnn", "all"])
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
    p.add_argument("--out", default="results/benchmarks.json")
    p.set_defaults(func=_benchmark)

    p = sub.add_parser("run-times", help="wall and CPU time per rule and stage of a run")
    p.add_argument("--benchmarks", default="results/benchmarks", help="<rule>/<job>.tsv files")
    p.add_argument(
        "--rules-dir",
        default=str(Path(__file__).resolve().parents[1] / "rules"),
        help="the workflow's rule files (a rule's stage is its file)",
    )
    p.add_argument("--out-dir", default="results/benchmarks", help="rules.* and stages.*")
    p.add_argument("--figure", help="PNG of the time per stage")
    p.set_defaults(func=_run_times)

    p = sub.add_parser(
        "priors", help="re-derive resources/synthetic_priors.json from the real catalogues"
    )
    p.add_argument("--hoyle", required=True, help="hoyle_barlengths.csv")
    p.add_argument("--erwin", required=True, help="GalaxyZoo2_barlengths_alldata.txt")
    p.add_argument("--out", required=True)
    p.set_defaults(func=_priors)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactingFilter())
    try:
        args.func(args)
    except GzxaiError as err:
        log.error("%s", err)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
