import numpy as np
import pandas as pd
import pytest

from gzxai.audit.truth import bar_masks, enrichment, mask_scores


def test_a_flag_piled_at_the_top_is_enriched_and_a_random_one_is_not():
    rng = np.random.default_rng(0)
    ids = np.arange(1000)
    hard = np.zeros(1000, bool)
    hard[:40] = True  # 4% overall, all of them ranked first
    hard[rng.choice(np.arange(40, 1000), 10, replace=False)] = True
    noise = rng.uniform(size=1000) < 0.1
    flags = pd.DataFrame({"hard": hard, "noise": noise}, index=ids)
    table = enrichment(ids, flags, top_k=50).set_index("flag")
    assert table.loc["hard", "base_rate"] == pytest.approx(0.05)
    assert table.loc["hard", "top_count"] == 40
    assert table.loc["hard", "enrichment"] == pytest.approx(0.8 / 0.05)
    assert table.loc["hard", "p_value"] < 1e-20
    assert table.loc["hard", "top_rate_low"] < 0.8 < table.loc["hard", "top_rate_high"]
    assert table.loc["noise", "p_value"] > 0.01


def test_enrichment_follows_the_ranking_order_not_the_flags_order():
    flags = pd.DataFrame({"hard": [True, False, False, False]}, index=[1, 2, 3, 4])
    first = enrichment(np.array([1, 2, 3, 4]), flags, top_k=1).iloc[0]
    last = enrichment(np.array([2, 3, 4, 1]), flags, top_k=1).iloc[0]
    assert (first["top_count"], last["top_count"]) == (1, 0)


def test_mask_scores_point_and_weigh_the_map_on_the_mask():
    masks = np.zeros((3, 4, 4), bool)
    masks[:, 1:3, 1:3] = True
    on_bar = np.zeros((4, 4))
    on_bar[1, 1] = 3.0
    on_bar[0, 0] = 1.0
    even = np.ones((4, 4))
    empty = np.zeros((4, 4))
    scores = mask_scores(np.stack([on_bar, even, empty]), masks)
    assert scores["pointing_game"].tolist()[:2] == [1.0, 0.0]
    assert scores.loc[0, "mass_in_mask"] == pytest.approx(0.75)
    assert scores.loc[1, "mass_in_mask"] == pytest.approx(scores.loc[1, "mask_area"]) == 0.25
    assert scores.loc[2, ["pointing_game", "mass_in_mask"]].isna().all()


def test_bar_masks_cut_the_noiseless_bar_at_its_end():
    u = np.linspace(-2, 2, 41)
    plane = np.exp(-(u[None, :] ** 4) - (u[:, None] / 0.3) ** 2)[None]
    mask = bar_masks(plane)[0]
    row = mask[20]
    assert row[10] and row[30]  # |u| = 1: the bar's half-length
    assert not row[9] and not row[31]
    assert not bar_masks(np.zeros((1, 5, 5))).any()
