"""The ensemble's command: average the members' predictions, Table 1, the Kaggle submission
and the Q1 audit (where the ensemble and the volunteers disagree)."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import pandas as pd

from gzxai.core.io import write_csv, write_json, write_parquet, write_text

log = logging.getLogger(__name__)


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("ensemble", help="average the members; Table 1, submission, audit")
    p.add_argument("--names", nargs="+", required=True)
    p.add_argument("--predictions", nargs="+", required=True)
    p.add_argument("--summaries", nargs="+", required=True)
    p.add_argument("--histories", nargs="+", required=True)
    p.add_argument("--table", required=True)
    p.add_argument("--split", required=True, help="the members' split file")
    p.add_argument("--shards", nargs="+", required=True)
    p.add_argument("--gallery-size", type=int, default=8)
    p.add_argument("--out-dir", required=True)
    p.add_argument("--figures-dir", required=True)
    p.set_defaults(func=ensemble)


def ensemble(args: argparse.Namespace) -> None:
    from gzxai.cnn.labels import kaggle_labels
    from gzxai.core.splits import read_split
    from gzxai.ensemble import evaluate, figures

    names = args.names
    members = {
        n: pd.read_parquet(p).set_index("galaxy_id")
        for n, p in zip(names, args.predictions, strict=True)
    }
    summaries = {
        n: json.loads(Path(p).read_text()) for n, p in zip(names, args.summaries, strict=True)
    }
    histories = {n: pd.read_csv(p) for n, p in zip(names, args.histories, strict=True)}
    splits = read_split(args.split)
    # The split holds the labelled galaxies with a readable image: the ones every member saw.
    labels = kaggle_labels(args.table).loc[splits.index]
    mean = evaluate.average(members)
    out = Path(args.out_dir)
    table = evaluate.table1(members, mean, labels, splits, summaries)
    write_csv(table, out / "table1.csv")
    write_text(evaluate.markdown_table(table), out / "table1.md")
    write_parquet(mean.reset_index(), out / "predictions.parquet")
    unlabelled = mean.index.difference(labels.index).to_numpy()
    write_csv(evaluate.submission(mean, unlabelled), out / "kaggle_submission.csv")
    figures.learning_curves(histories, Path(args.figures_dir) / "learning_curves.png")
    misclassification(mean, labels, splits, args, out)
    log.info("Table 1:\n%s", evaluate.markdown_table(table))


def misclassification(mean, labels, splits, args: argparse.Namespace, out: Path) -> None:
    """The galaxies where the ensemble's Q1 answer is not the volunteers' (and a gallery)."""
    from gzxai.core.arrays import read_by_id
    from gzxai.core.plots import gallery
    from gzxai.ensemble import evaluate

    audit = evaluate.q1_disagreements(mean, labels).assign(
        split=lambda t: splits.loc[t["galaxy_id"]].to_numpy()
    )
    disagreements = audit[audit["disagree"]].sort_values("gap", ascending=False)
    write_csv(disagreements, out / "q1_disagreements.csv")
    summary = {
        "labelled_galaxies": len(audit),
        "q1_disagreement_fraction": float(audit["disagree"].mean()),
        "q1_disagreement_fraction_test": float(
            audit.loc[audit["split"] == "test", "disagree"].mean()
        ),
        "paper_value": 0.08,
    }
    write_json(summary, out / "misclassification.json")
    worst = disagreements.head(args.gallery_size)
    images = list(read_by_id(args.shards, worst["galaxy_id"].to_numpy()))
    titles = [
        f"{r.galaxy_id}: model {r.model_answer} ({r.model_confidence:.0%})\n"
        f"votes {r.vote_answer} ({r.vote_share_of_vote_answer:.0%})"
        for r in worst.itertuples()
    ]
    gallery(images, titles, Path(args.figures_dir) / "q1_disagreements.png")
