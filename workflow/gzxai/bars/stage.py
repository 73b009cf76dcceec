"""File edges of the bar stage: saliency shards → measurements → Table 2 → test evaluation.

Each function reads the files one Snakemake job names, calls the pure functions of
:mod:`gzxai.explain.smoothgrad`, :mod:`gzxai.bars.measure` and
:mod:`gzxai.bars.evaluate`, and writes its outputs atomically. The CLI
(``python -m gzxai saliency|measure|bars-select|bars-evaluate|direct``) is a thin layer
over them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from gzxai.bars import evaluate, measure
from gzxai.core.io import write_csv, write_json, write_parquet, write_text
from gzxai.core.units import HoyleLengthUnits

log = logging.getLogger(__name__)


def conventions(params: Mapping) -> evaluate.Conventions:
    """The unit conventions and image geometry of a job's parameters."""
    conv = params["conventions"]
    return evaluate.Conventions(
        saliency_length_units=conv["saliency_length_units"],
        hoyle_length_units=conv["hoyle_length_units"],
        h0=float(conv["cosmology"]["h0"]),
        omega_m=float(conv["cosmology"]["omega_m"]),
        size_px=int(params["size_px"]),
        crop_px=int(params["crop_px"]),
        length_scaled=conv["length_scaled"],
    )


def catalogue_split(ids: np.ndarray, params: Mapping) -> pd.Series:
    block = params["measure"]
    return evaluate.split_catalogue(
        ids, int(block["split_seed"]), float(block["validation_fraction"])
    )


def run_saliency(
    *,
    model: str,
    shard: str,
    out: str,
    params: Mapping,
    run: int,
    noise_level: float,
    progress: bool = True,
) -> None:
    """Maps of one shard at one noise level; a second run covers the test part only.

    The second run repeats every noise level, not only the selected ones, so that changing a
    measurement setting (and with it the selection) never reruns SmoothGrad.
    """
    from gzxai.core.trees import load_tree
    from gzxai.explain.smoothgrad import saliency_shard
    from gzxai.sources.images import read_shard

    block = params["saliency"]
    only_ids = None
    if run > 1:
        split = catalogue_split(read_shard(shard)["ids"], params)
        only_ids = split.index[split == evaluate.TEST].to_numpy()
    n = saliency_shard(
        model,
        shard,
        out,
        target=load_tree().answer_index(block["target"]),
        noise_levels=[noise_level],
        n_samples=int(block["n_samples"]),
        seed=int(params["seed"]),
        run=run,
        only_ids=only_ids,
        chunk=int(block["chunk"]),
        progress=progress,
    )
    log.info("%d maps, S_noise %g, run %d -> %s", n, noise_level, run, out)


def run_measure(
    *,
    saliency: Sequence[str],
    shard: str,
    out: str,
    params: Mapping,
    run: int,
    truth: str | None,
    progress: bool = True,
) -> None:
    """``saliency`` items are ``member=path``."""
    pairs = [tuple(item.split("=", 1)) for item in saliency]
    grid = measure.Grid.from_config(params["measure"])
    table = measure.measure_shard(
        pairs, shard, grid, run=run, truth_path=truth, seed=int(params["seed"]), progress=progress
    )
    write_parquet(table, out)
    log.info("%d lengths -> %s", len(table), out)


def _lengths(paths: Sequence[str], bars: pd.DataFrame, conv: evaluate.Conventions) -> pd.DataFrame:
    table = pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True)
    return evaluate.with_lengths(table, bars, conv)


def read_bars(bars: str, images: str | None) -> pd.DataFrame:
    """The bar catalogue's galaxies that have a readable image (the ones with maps)."""
    from gzxai.sources.images import with_images

    return with_images(pd.read_parquet(bars), images, "dr7objid", bars)


def run_select(
    *,
    measurements: Sequence[str],
    bars: str,
    out_dir: str,
    params: Mapping,
    images: str | None = None,
) -> None:
    """Table 2 from the validation third (run 1 only)."""
    catalogue = read_bars(bars, images)
    lengths = _lengths(measurements, catalogue, conventions(params))
    split = catalogue_split(catalogue["dr7objid"].to_numpy(), params)
    validation = lengths[lengths["dr7objid"].isin(split.index[split == evaluate.VALIDATION])]
    reference = catalogue.set_index("dr7objid")["bar_length_catalogue"]
    selection = evaluate.select(validation, reference)
    out = Path(out_dir)
    write_csv(selection, out / "table2.csv")
    write_text(evaluate.markdown_table2(selection), out / "table2.md")
    log.info("Table 2:\n%s", evaluate.markdown_table2(selection))


def run_evaluate(
    *,
    measurements: Sequence[str],
    selection: str,
    bars: str,
    truth: str | None,
    direct: str | None,
    out_dir: str,
    figure: str,
    params: Mapping,
    images: str | None = None,
) -> dict:
    """Test metrics of every selected method and the direct CNN; Fig. 4; the summary."""
    from gzxai.core import figures

    everything = pd.read_parquet(bars)
    catalogue = read_bars(bars, images)
    conv = conventions(params)
    lengths = _lengths(measurements, catalogue, conv)
    chosen = pd.read_csv(selection)
    truth_table = pd.read_parquet(truth) if truth else None
    if truth_table is not None:
        truth_table = truth_table[truth_table["dr7objid"].isin(catalogue["dr7objid"])]
    direct_table = pd.read_parquet(direct).set_index("dr7objid") if direct else None
    block = params["measure"]
    results, per_galaxy, summary = evaluate.evaluate(
        lengths,
        chosen,
        catalogue,
        conv,
        split=catalogue_split(catalogue["dr7objid"].to_numpy(), params),
        truth=truth_table,
        direct=direct_table,
        n_boot=int(block["bootstrap"]),
        seed=int(params["seed"]),
        catalogue_error=float(block["catalogue_error"]),
    )
    left_out = everything.loc[~everything["dr7objid"].isin(catalogue["dr7objid"]), "dr7objid"]
    left_out_split = catalogue_split(left_out.to_numpy(), params)
    summary["without_readable_image"] = {
        "catalogue": len(left_out),
        "test": int((left_out_split == evaluate.TEST).sum()),
        "dr7objids": [int(i) for i in left_out],
    }
    out = Path(out_dir)
    write_csv(results, out / "test_metrics.csv")
    write_text(evaluate.markdown_results(results, summary), out / "test_metrics.md")
    write_parquet(per_galaxy, out / "test_lengths.parquet")
    write_json(summary, out / "summary.json")
    best = summary["headline"]
    headline = per_galaxy[
        (per_galaxy["method"] == best["method"]) & (per_galaxy["rule"] == best["rule"])
    ]
    reference = catalogue.set_index("dr7objid")["bar_length_catalogue"]
    figures.bar_lengths_vs_catalogue(
        headline.set_index("dr7objid"),
        direct_table,
        reference,
        float(block["catalogue_error"]),
        summary,
        figure,
    )
    log.info("bar lengths on the test set:\n%s", evaluate.markdown_results(results, summary))
    return summary


def direct_labels(bars: pd.DataFrame) -> pd.DataFrame:
    """The direct CNN's target, by dr7objid: Hoyle's ``length_scaled`` (paper §4.6).

    It is the bar length in units of the galaxy's size, the only length an image scaled to
    the galaxy shows; a length in kpc would need the distance, which the image lacks.
    """
    return bars.set_index("dr7objid")[["length_scaled"]].astype("float32")


def direct_splits(ids: np.ndarray, params: Mapping) -> pd.Series:
    """The direct CNN's own train / val / test split of the bar catalogue (64/16/20)."""
    from gzxai.cnn.train import assign_splits

    labels = assign_splits(
        ids, int(params["seed"]), params["validation_fraction"], params["test_fraction"]
    )
    return pd.Series(labels, index=pd.Index(ids, name="dr7objid"))


def write_direct_predictions(
    model: str, shards: Sequence[str], bars: pd.DataFrame, splits: pd.Series, params: Mapping,
    out: str,
) -> None:  # fmt: skip
    """Predictions for every bar galaxy, as ``length_scaled`` and in catalogue units."""
    from gzxai.cnn.train import predict_shards

    predicted = predict_shards(Path(model), [Path(p) for p in shards])
    scaled = predicted.iloc[:, 0].to_numpy(float)
    galaxies = bars.set_index("dr7objid").loc[predicted.index]
    table = pd.DataFrame(
        {
            "dr7objid": predicted.index.to_numpy(np.int64),
            "prediction_length_scaled": scaled,
            "prediction": evaluate.scaled_to_catalogue_units(scaled, galaxies, conventions(params)),
            "split": splits.loc[predicted.index].to_numpy(),
        }
    )
    write_parquet(table, out)


def run_figures(
    *,
    models: Mapping[str, str],
    shards: Sequence[str],
    selection: str,
    lengths: str,
    bars: str,
    params: Mapping,
    out: Mapping[str, str],
) -> None:
    """Fig. 1 and Appendix A (maps of several answers), Fig. 3 and Appendix B (isolated bars).

    Galaxies are drawn at random (seeded) from the test set; Fig. 3's last row is the
    failure case, the galaxy whose length is furthest from the catalogue's (relative error).
    Maps come from the headline method's members at its selected settings (``mean_length``
    and ``mean_map`` show the members' mean map).
    """
    from gzxai.bars.geometry import bar_mask
    from gzxai.core import figures
    from gzxai.sources.images import read_by_id

    best = evaluate.headline(pd.read_csv(selection))
    per_galaxy = pd.read_parquet(lengths)
    is_best = (per_galaxy["method"] == best["method"]) & (per_galaxy["rule"] == best["rule"])
    chosen = per_galaxy[is_best].set_index("dr7objid")
    catalogue = pd.read_parquet(bars).set_index("dr7objid")["bar_length_catalogue"]
    rng = np.random.default_rng(int(params["seed"]))
    count = min(int(params["measure"]["examples"]), len(chosen))
    examples = rng.choice(chosen.index.to_numpy(), size=count, replace=False)
    error = (chosen["length"] - catalogue.loc[chosen.index]).abs() / catalogue.loc[chosen.index]
    failure = int(error.idxmax())
    ids = np.unique(np.concatenate([examples, [failure]]))
    images = read_by_id(shards, ids)
    maps = _figure_maps(models, images, ids, best, params)
    position = {int(i): k for k, i in enumerate(ids)}
    unit = HoyleLengthUnits(params["conventions"]["hoyle_length_units"]).label

    def answers_row(galaxy: int) -> list[tuple[np.ndarray, str]]:
        k = position[galaxy]
        row = [(images[k], f"{galaxy}")]
        return row + [(maps[name][k], f"{name} saliency") for name in maps]

    def isolation_row(galaxy: int, note: str = "") -> list[tuple[np.ndarray, str]]:
        k = position[galaxy]
        saliency = maps["bar"][k]
        measured = saliency * (images[k].mean(axis=-1) / 255.0) if best["x_input"] else saliency
        mask = bar_mask(measured, float(best["t_corr"]), int(best["t_len"]), best["rule"])
        caption = (
            f"{note}measured {chosen.loc[galaxy, 'length']:.1f}, "
            f"catalogue {catalogue.loc[galaxy]:.1f} {unit}"
        )
        return [(images[k], f"{galaxy}"), (measured, "bar saliency"), (measured * mask, caption)]

    figures.panel_grid([answers_row(int(g)) for g in examples[:2]], out["fig1"])
    figures.panel_grid([answers_row(int(g)) for g in examples], out["appendix_a"])
    fig3 = [isolation_row(int(g)) for g in examples[:2]] + [isolation_row(failure, "failure: ")]
    figures.panel_grid(fig3, out["fig3"])
    figures.panel_grid([isolation_row(int(g)) for g in examples], out["appendix_b"])


def _figure_maps(
    models: Mapping[str, str], images: np.ndarray, ids: np.ndarray, best: pd.Series, params: Mapping
) -> dict[str, np.ndarray]:
    """Maps of every figure answer: the headline member's, or the members' mean map."""
    from gzxai.core.trees import load_tree
    from gzxai.explain.smoothgrad import load_scorer, smoothgrad

    block, tree = params["saliency"], load_tree()
    members = [best["method"]] if best["method"] in models else list(models)
    scorers = [load_scorer(models[member]) for member in members]
    pixels = images.astype(np.float32) / 255.0
    settings = {
        "n_samples": int(block["n_samples"]),
        "noise_level": float(best["noise"]),
        "seed": int(params["seed"]),
        "run": 1,
        "chunk": int(block["chunk"]),
    }
    maps = {}
    for name, answer in block["figure_targets"].items():
        target = tree.answer_index(answer)
        per_member = [smoothgrad(s, pixels, ids, target=target, **settings) for s in scorers]
        maps[name] = measure.mean_map(per_member)
    return maps
