"""File edges of the audit: the ranking and its look-alike controls (``audit-rank``, no
TensorFlow) and the maps, sanity check and bar-mask scores (``audit-maps``).

The audited model is the Dirichlet tree model: its MC samples of the 37 concentrations give
the predicted fractions. The ranked galaxies are the vote models' test galaxies (the model
never trained on them); the look-alike controls are searched among every galaxy with votes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from gzxai.audit import ranking, similarity, truth
from gzxai.audit.settings import MapSettings, RankSettings
from gzxai.core.io import write_csv, write_json, write_parquet, write_text
from gzxai.core.tables import markdown, number
from gzxai.core.trees import load_tree

log = logging.getLogger(__name__)

ID = "dr7objid"
#: Share of the ranked galaxies whose flags are compared with the base rates.
ENRICHMENT_SHARE = 0.1


def fractions(gz2: str, images: str | None, samples: Sequence[str]) -> dict:
    """Observed and predicted fractions (galaxies × answers) of the imaged galaxies with
    votes, their counts, ids, and the tree's questions and answer names. The MC samples are
    read one shard file at a time (on real GZ2 they are ~1 GB together), and only their
    predicted fractions are kept."""
    from gzxai.core.arrays import read_vote_samples, with_images
    from gzxai.votes.targets import tree_targets

    tree = load_tree()
    questions = tree.answer_slices()
    counts = tree_targets(with_images(pd.read_parquet(gz2), images, ID, "audit"), tree)
    ids, predicted = [], []
    for path in samples:
        shard = read_vote_samples([path])
        ids.append(shard["ids"])
        predicted.append(ranking.predicted_fractions(shard["samples"], questions))
    rows = pd.Index(np.concatenate(ids)).get_indexer(counts.index)
    missing = counts.index[rows < 0]
    if len(missing):
        raise ValueError(
            f"galaxy {missing[0]} has votes and an image but no MC samples of the tree model "
            f"({len(missing)} such): rerun predict_votes"
        )
    return {
        "ids": counts.index.to_numpy(np.int64),
        "counts": counts.to_numpy(np.int64),
        "observed": ranking.fractions_within_questions(counts.to_numpy(), questions),
        "predicted": np.concatenate(predicted)[rows],
        "questions": questions,
        "answers": tree.gz2_stems,
    }


def run_rank(
    *,
    gz2: str,
    images: str | None,
    split: str,
    samples: Sequence[str],
    truth_path: str | None,
    settings: RankSettings,
    out_dir: str,
    figure: str,
) -> dict:
    """The ranking of the test galaxies, the top table, the controls of the first
    ``selected`` galaxies, the histograms and (synthetic) the enrichment of hard labels."""
    from gzxai.audit import figures
    from gzxai.core.splits import read_split

    data = fractions(gz2, images, samples)
    questions, answers = data["questions"], data["answers"]
    balanced = ranking.balanced_questions(
        data["observed"], questions,
        middle=settings.balanced_middle, min_share=settings.balanced_min_share,
    )  # fmt: skip
    weights = ranking.answer_weights(questions, balanced, settings.weight)
    parts = read_split(split)
    test = np.isin(data["ids"], parts.index[parts == "test"])
    ranked = ranking.rank(
        data["ids"][test], data["observed"][test], data["predicted"][test], weights, answers
    )
    ranked = _with_votes(ranked, data, questions, answers)
    controls = _controls(ranked.head(settings.selected), data, weights, settings)
    out = Path(out_dir)
    write_parquet(ranked, out / "ranking.parquet")
    top = ranked.head(settings.top_k)
    write_csv(top, out / "top.csv")
    write_text(_top_markdown(top), out / "top.md")
    write_csv(controls, out / "controls.csv")
    figures.histograms(data["observed"], questions, balanced, figure)
    summary = {
        "ranked_galaxies": len(ranked),
        "balanced_questions": balanced,
        "weight": settings.weight,
        "top": top.head(3).to_dict(orient="records"),
    }
    if truth_path:
        flags = _hard_labels(pd.read_parquet(truth_path), ranked, settings.few_votes)
        top_n = max(settings.top_k, round(ENRICHMENT_SHARE * len(ranked)))
        table = truth.enrichment(ranked["galaxy_id"].to_numpy(), flags, top_n)
        write_csv(table, out / "enrichment.csv")
        summary["enrichment"] = table.to_dict(orient="records")
    write_json(summary, out / "rank_summary.json")
    log.info("ranked %d test galaxies; balanced questions: %s", len(ranked), balanced)
    return summary


def _top_markdown(top: pd.DataFrame) -> str:
    """Su Tables 1–2: the galaxies the model disagrees with most, and their votes."""
    header = ["rank", "dr7objid", "answer", "k", "N", "observed", "predicted", "loss", "N first"]
    rows = [
        [
            r.rank, r.galaxy_id, r.answer, r.votes, r.question_votes,
            number(r.observed), number(r.predicted), number(r.loss, ".2f"),
            r.first_question_votes,
        ]
        for r in top.itertuples()
    ]  # fmt: skip
    return markdown(header, rows)


def _with_votes(ranked: pd.DataFrame, data: dict, questions: dict, answers: list) -> pd.DataFrame:
    """The worst answer's votes (k) and its question's (N), and the votes of the first
    question (Su Tables 1–2 show how few votes a top galaxy often has)."""
    row_of = pd.Index(data["ids"]).get_indexer(ranked["galaxy_id"])
    answer = pd.Index(answers).get_indexer(ranked["answer"])
    question_of = {i: s for s in questions.values() for i in range(s.start, s.stop)}
    counts = data["counts"]
    first = next(iter(questions.values()))
    return ranked.assign(
        votes=counts[row_of, answer],
        question_votes=[
            counts[r, question_of[a]].sum() for r, a in zip(row_of, answer, strict=True)
        ],
        first_question_votes=counts[row_of, first].sum(axis=1),
    )


def _controls(
    selected: pd.DataFrame, data: dict, weights: np.ndarray, settings: RankSettings
) -> pd.DataFrame:
    """The observed-similar and predicted-similar galaxy of each selected (galaxy, answer)."""
    rows = pd.Index(data["ids"]).get_indexer(selected["galaxy_id"])
    answers = pd.Index(data["answers"]).get_indexer(selected["answer"])
    as_predicted, as_observed = similarity.control_queries(
        data["observed"], data["predicted"], rows, answers
    )
    query_weights = similarity.question_weights(weights, answers, settings.similar_weight)
    found = {
        "observed_similar": similarity.most_similar(
            as_predicted,
            data["observed"],
            query_weights,
            exclude=rows,
            required=answers,
            chunk=settings.chunk,
        ),
        "predicted_similar": similarity.most_similar(
            as_observed,
            data["predicted"],
            query_weights,
            exclude=rows,
            required=answers,
            chunk=settings.chunk,
        ),
    }
    table = selected[["galaxy_id", "answer", "observed", "predicted"]].reset_index(drop=True)
    for name, (match, score) in found.items():
        if (match < 0).any():
            raise ValueError(
                f"no galaxy has a fraction for {selected['answer'].iloc[int(np.argmin(match))]}"
                " besides the selected one: no control can be chosen"
            )
        table[f"{name}_id"] = data["ids"][match]
        table[f"{name}_observed"] = data["observed"][match, answers]
        table[f"{name}_predicted"] = data["predicted"][match, answers]
        table[f"{name}_score"] = score
    return table


def _hard_labels(truth_table: pd.DataFrame, ranked: pd.DataFrame, few_votes: int) -> pd.DataFrame:
    """What made a galaxy's labels hard, per ranked galaxy: few votes at the first question,
    a disk the resolution bias turned smooth, a merger."""
    known = truth_table.set_index(ID).reindex(ranked["galaxy_id"])
    return pd.DataFrame(
        {
            "few_votes": (ranked["first_question_votes"] < few_votes).to_numpy(),
            "bias_flipped": known["bias_flipped"].fillna(False).astype(bool).to_numpy(),
            "merger": known["has_merger"].fillna(False).astype(bool).to_numpy(),
        },
        index=ranked["galaxy_id"].to_numpy(),
    )


def fraction_score(questions: dict, answer: int):
    """A function of a batch of concentrations giving the answer's predicted fraction."""
    import tensorflow as tf

    block = next(s for s in questions.values() if s.start <= answer < s.stop)

    def score(concentrations):
        return concentrations[:, answer] / tf.reduce_sum(concentrations[:, block], axis=1)

    return score


def run_maps(
    *,
    model_path: str,
    shards: Sequence[str],
    controls: str,
    ranking_path: str,
    rank_summary: str,
    truth_path: str | None,
    settings: MapSettings,
    out_dir: str,
    figures_dir: str,
) -> dict:
    """CAMs of every selected galaxy and its controls; the cascading-randomisation check;
    (synthetic) how much of the bar answer's maps lies on the true bar."""
    from gzxai.audit import figures
    from gzxai.cnn.train import load_model
    from gzxai.core.arrays import read_by_id

    model = load_model(model_path)
    tree = load_tree()
    questions, answers = tree.answer_slices(), tree.gz2_stems
    chosen = pd.read_csv(controls)
    out, figure_dir = Path(out_dir), Path(figures_dir)
    for k, row in chosen.iterrows():
        ids = [row["galaxy_id"], row["observed_similar_id"], row["predicted_similar_id"]]
        images = read_by_id(shards, np.asarray(ids, np.int64)).astype(np.float32) / 255.0
        score = fraction_score(questions, answers.index(row["answer"]))
        figures.cam_gallery(model, images, ids, row, score, figure_dir / f"audit_cam_{k + 1}.png")

    ranked = pd.read_parquet(ranking_path)
    bar = answers.index(settings.bar_answer)
    picked = _bar_galaxies(ranked, truth_path, settings)
    images = read_by_id(shards, picked).astype(np.float32) / 255.0
    score = fraction_score(questions, bar)
    sanity = _sanity(model, images[: settings.sanity_galaxies], picked, score, settings)
    write_csv(sanity, out / "sanity.csv")
    figures.sanity_curves(sanity, figure_dir / "audit_sanity.png")
    summary = {
        **json.loads(Path(rank_summary).read_text()),
        "selected": chosen["galaxy_id"].tolist(),
        "sanity": _verdicts(sanity),
    }
    if truth_path:
        scores = _mask_scores(model, images, picked, score, truth_path, settings)
        write_csv(scores, out / "mask_scores.csv")
        summary["bar_masks"] = (
            scores.groupby("method")[["pointing_game", "mass_in_mask", "mask_area"]]
            .mean()
            .round(4)
            .to_dict(orient="index")
        )
    write_json(summary, out / "summary.json")
    return summary


def _bar_galaxies(
    ranked: pd.DataFrame, truth_path: str | None, settings: MapSettings
) -> np.ndarray:
    """The test galaxies whose bar maps are checked: on the synthetic survey the barred ones
    (their true bar is the mask), in ranking order; on real data the ranked ones."""
    ids = ranked["galaxy_id"].to_numpy(np.int64)
    if truth_path:
        barred = pd.read_parquet(truth_path, columns=[ID, "has_bar"])
        ids = ids[np.isin(ids, barred.loc[barred["has_bar"], ID])]
    return ids[: max(settings.mask_galaxies, settings.sanity_galaxies)]


METHODS = ("smoothgrad", "gradcam", "hirescam")


def _maps(model, images: np.ndarray, ids, score, method: str, settings: MapSettings) -> np.ndarray:
    """One method's maps of the score's increase: SmoothGrad on the input image, the CAMs on
    the model's view of it."""
    from gzxai.explain.gradcam import activation_maps
    from gzxai.explain.smoothgrad import smoothgrad

    if method == "smoothgrad":
        return smoothgrad(
            _score_model(model, score), images, ids, target=0, n_samples=settings.n_samples,
            noise_level=settings.noise_level, seed=settings.seed,
        )  # fmt: skip
    increase, _ = activation_maps(model, images, score, method=method)
    return increase


def _score_model(model, score):
    """The model with the score as its one output (for SmoothGrad's target 0)."""
    import keras

    return keras.Model(model.inputs, keras.layers.Lambda(lambda y: score(y)[:, None])(model.output))


def _sanity(model, images, ids, score, settings: MapSettings) -> pd.DataFrame:
    """Per method and randomisation depth: the mean Spearman (signed and absolute) and SSIM
    between the trained model's maps and the randomised model's."""
    from gzxai.explain import sanity

    trained = {m: _maps(model, images, ids, score, m, settings) for m in METHODS}
    rows = []
    for depth, (layer, randomised) in enumerate(sanity.cascade(model, settings.seed), start=1):
        for method in METHODS:
            maps = _maps(randomised, images, ids, score, method, settings)
            pairs = list(zip(trained[method], maps, strict=True))
            rows.append(
                {
                    "method": method,
                    "depth": depth,
                    "layer": layer,
                    "spearman": np.nanmean([sanity.spearman(a, b) for a, b in pairs]),
                    "spearman_abs": np.nanmean(
                        [sanity.spearman(a, b, absolute=True) for a, b in pairs]
                    ),
                    "ssim": np.mean([sanity.ssim(a, b) for a, b in pairs]),
                }
            )
    return pd.DataFrame(rows)


#: A method passes the check when, with every layer randomised, its maps keep less than this
#: mean absolute rank correlation with the trained model's.
SANITY_PASS_BELOW = 0.5


def _verdicts(table: pd.DataFrame) -> dict:
    deepest = table[table["depth"] == table["depth"].max()].set_index("method")
    return {
        method: {
            "spearman_abs_fully_randomised": round(float(deepest.loc[method, "spearman_abs"]), 4),
            "ssim_fully_randomised": round(float(deepest.loc[method, "ssim"]), 4),
            "passes": bool(deepest.loc[method, "spearman_abs"] < SANITY_PASS_BELOW),
        }
        for method in deepest.index
    }


def _mask_scores(model, images, ids, score, truth_path: str, settings: MapSettings):
    """Pointing game and map mass on the true bar for each method, in its own frame: the
    input image for SmoothGrad, the model's view for the CAMs."""
    from gzxai.synthetic.oracle import oracle_maps

    table = pd.read_parquet(truth_path).set_index(ID).loc[ids].reset_index()
    oracle = oracle_maps(table, settings.seed, settings.crop_px, settings.size_px)
    masks = {"input": truth.bar_masks(oracle), "view": truth.bar_masks(_view_of(model, oracle))}
    frames = []
    for method in METHODS:
        maps = _maps(model, images, ids, score, method, settings)
        frame = masks["input"] if method == "smoothgrad" else masks["view"]
        frames.append(truth.mask_scores(maps, frame).assign(method=method, galaxy_id=ids))
    return pd.concat(frames, ignore_index=True)


def _view_of(model, planes: np.ndarray) -> np.ndarray:
    """Single-channel planes as the model's layers before its backbone see them."""
    return view_of_images(model, np.repeat(planes[..., None], 3, axis=-1))


def view_of_images(model, images: np.ndarray) -> np.ndarray:
    """Images as the model's layers before its backbone see them (a vote model's central,
    greyscale view), first channel."""
    from gzxai.explain.gradcam import split_at_backbone

    x = np.asarray(images, np.float32)
    for layer in split_at_backbone(model)[0]:
        x = layer(x, training=False)
    return np.asarray(x)[..., 0]
