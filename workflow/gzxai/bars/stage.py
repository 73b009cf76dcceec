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
from gzxai.bars.settings import (
    EvaluationSettings,
    FigureSettings,
    SelectSettings,
)
from gzxai.bars.units import Conventions
from gzxai.core.io import write_csv, write_json, write_parquet, write_text
from gzxai.core.splits import read_split
from gzxai.core.units import HoyleLengthUnits

log = logging.getLogger(__name__)


def _lengths(paths: Sequence[str], bars: pd.DataFrame, conv: Conventions) -> pd.DataFrame:
    table = pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True)
    return evaluate.with_lengths(table, bars, conv)


def read_bars(bars: str, images: str | None) -> pd.DataFrame:
    """The bar catalogue's galaxies that have a readable image (the ones with maps)."""
    from gzxai.core.arrays import with_images

    return with_images(pd.read_parquet(bars), images, "dr7objid", bars)


def run_select(
    *,
    measurements: Sequence[str],
    bars: str,
    split: str,
    out_dir: str,
    settings: SelectSettings,
    images: str | None = None,
) -> None:
    """Table 2 from the validation third (run 1 only)."""
    catalogue = read_bars(bars, images)
    lengths = _lengths(measurements, catalogue, settings.conventions)
    split = read_split(split).loc[catalogue["dr7objid"]]
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
    split: str,
    truth: str | None,
    direct: str | None,
    out_dir: str,
    figure: str,
    settings: EvaluationSettings,
    images: str | None = None,
) -> dict:
    """Test metrics of every selected method and the direct CNN; Fig. 4; the summary."""
    from gzxai.bars import figures

    everything = pd.read_parquet(bars)
    catalogue = read_bars(bars, images)
    conv = settings.conventions
    parts = read_split(split)
    lengths = _lengths(measurements, catalogue, conv)
    chosen = pd.read_csv(selection)
    truth_table = pd.read_parquet(truth) if truth else None
    if truth_table is not None:
        truth_table = truth_table[truth_table["dr7objid"].isin(catalogue["dr7objid"])]
    direct_table = pd.read_parquet(direct).set_index("dr7objid") if direct else None
    results, per_galaxy, summary = evaluate.evaluate(
        lengths,
        chosen,
        catalogue,
        conv,
        split=parts.loc[catalogue["dr7objid"]],
        truth=truth_table,
        direct=direct_table,
        n_boot=settings.bootstrap,
        seed=settings.seed,
        catalogue_error=settings.catalogue_error,
    )
    left_out = everything.loc[~everything["dr7objid"].isin(catalogue["dr7objid"]), "dr7objid"]
    left_out_split = parts.loc[left_out]
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
        settings.catalogue_error,
        summary,
        figure,
    )
    log.info("bar lengths on the test set:\n%s", evaluate.markdown_results(results, summary))
    return summary


def run_figures(
    *,
    models: Mapping[str, str],
    shards: Sequence[str],
    selection: str,
    lengths: str,
    bars: str,
    settings: FigureSettings,
    out: Mapping[str, str],
) -> None:
    """Fig. 1 and Appendix A (maps of several answers), Fig. 3 and Appendix B (isolated bars).

    Galaxies are drawn at random (seeded) from the test set; Fig. 3's last row is the
    failure case, the galaxy whose length is furthest from the catalogue's (relative error).
    Maps come from the headline method's members at its selected settings (``mean_length``
    and ``mean_map`` show the members' mean map).
    """
    from gzxai.bars.geometry import bar_mask
    from gzxai.core.arrays import read_by_id
    from gzxai.core.plots import panel_grid

    best = evaluate.headline(pd.read_csv(selection))
    per_galaxy = pd.read_parquet(lengths)
    is_best = (per_galaxy["method"] == best["method"]) & (per_galaxy["rule"] == best["rule"])
    chosen = per_galaxy[is_best].set_index("dr7objid")
    catalogue = pd.read_parquet(bars).set_index("dr7objid")["bar_length_catalogue"]
    rng = np.random.default_rng(settings.saliency.seed)
    count = min(settings.examples, len(chosen))
    examples = rng.choice(chosen.index.to_numpy(), size=count, replace=False)
    error = (chosen["length"] - catalogue.loc[chosen.index]).abs() / catalogue.loc[chosen.index]
    failure = int(error.idxmax())
    ids = np.unique(np.concatenate([examples, [failure]]))
    images = read_by_id(shards, ids)
    maps = _figure_maps(models, images, ids, best, settings)
    position = {int(i): k for k, i in enumerate(ids)}
    unit = HoyleLengthUnits(settings.hoyle_length_units).label

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

    panel_grid([answers_row(int(g)) for g in examples[:2]], out["fig1"])
    panel_grid([answers_row(int(g)) for g in examples], out["appendix_a"])
    fig3 = [isolation_row(int(g)) for g in examples[:2]] + [isolation_row(failure, "failure: ")]
    panel_grid(fig3, out["fig3"])
    panel_grid([isolation_row(int(g)) for g in examples], out["appendix_b"])


def _figure_maps(
    models: Mapping[str, str],
    images: np.ndarray,
    ids: np.ndarray,
    best: pd.Series,
    settings: FigureSettings,
) -> dict[str, np.ndarray]:
    """Maps of every figure answer: the headline member's, or the members' mean map."""
    from gzxai.core.trees import load_tree
    from gzxai.explain.smoothgrad import load_scorer, smoothgrad

    saliency, tree = settings.saliency, load_tree()
    members = [best["method"]] if best["method"] in models else list(models)
    scorers = [load_scorer(models[member]) for member in members]
    pixels = images.astype(np.float32) / 255.0
    common = {
        "n_samples": saliency.n_samples,
        "noise_level": float(best["noise"]),
        "seed": saliency.seed,
        "run": 1,
        "chunk": saliency.chunk,
    }
    maps = {}
    for name, answer in settings.figure_targets.items():
        target = tree.answer_index(answer)
        per_member = [smoothgrad(s, pixels, ids, target=target, **common) for s in scorers]
        maps[name] = measure.mean_map(per_member)
    return maps
