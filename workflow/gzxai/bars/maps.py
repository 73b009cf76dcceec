"""The saliency job of the bar stage: SmoothGrad maps of one bar-catalogue shard at one
noise level (:mod:`gzxai.explain.smoothgrad` does the work)."""

from __future__ import annotations

import logging

from gzxai.bars.settings import SaliencySettings
from gzxai.core.splits import TEST, read_split

log = logging.getLogger(__name__)


def run_saliency(
    *,
    model: str,
    shard: str,
    out: str,
    settings: SaliencySettings,
    run: int,
    noise_level: float,
    split: str | None = None,
    progress: bool = True,
) -> None:
    """Maps of one shard at one noise level; a second run covers the test part only.

    The second run repeats every noise level, not only the selected ones, so that changing a
    measurement setting (and with it the selection) never reruns SmoothGrad. ``split``: the
    bar catalogue's split file, which runs after the first need.
    """
    from gzxai.core.trees import load_tree
    from gzxai.explain.smoothgrad import saliency_shard

    only_ids = None
    if run > 1:
        if split is None:
            raise ValueError(f"run {run} maps the test part only: it needs the bars split")
        parts = read_split(split)
        only_ids = parts.index[parts == TEST].to_numpy()
    n = saliency_shard(
        model,
        shard,
        out,
        target=load_tree().answer_index(settings.target),
        noise_levels=[noise_level],
        n_samples=settings.n_samples,
        seed=settings.seed,
        run=run,
        only_ids=only_ids,
        chunk=settings.chunk,
        progress=progress,
    )
    log.info("%d maps, S_noise %g, run %d -> %s", n, noise_level, run, out)
