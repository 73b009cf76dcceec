"""Benchmarks as a command (never timed unit tests): ratios measured in one run.

``python -m gzxai benchmark bars`` times the fast Algorithm 1 against the literal one on the
same maps and checks that every length agrees. ``python -m gzxai benchmark smoothgrad``
times :func:`gzxai.explain.smoothgrad.smoothgrad` against tf-keras-vis 0.8.7 (``pip install
'.[bench]'``) on the same model and image, after checking that both give the same map with
N = 1 and σ = 0. ``python -m gzxai benchmark mc`` times the vote models' MC inference, T
passes batched into one call per batch of galaxies, against a loop of T ``model.predict``
calls on the same model, galaxies and draws, after checking that both give the same samples.
Each merges its result into a JSON file (default ``results/benchmarks.json``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import ndimage

from gzxai.bars import geometry
from gzxai.core.io import write_json


def saliency_like_maps(n: int, size: int, seed: int) -> list[np.ndarray]:
    """Smoothed noise with an elongated bright blob: maps with saliency-like structure."""
    rng = np.random.default_rng(seed)
    rows, cols = np.indices((size, size)) - size / 2
    maps = []
    for _ in range(n):
        angle, length = rng.uniform(0, np.pi), rng.uniform(3, size / 4)
        u = rows * np.cos(angle) + cols * np.sin(angle)
        v = -rows * np.sin(angle) + cols * np.cos(angle)
        blob = np.exp(-((u / length) ** 4) - (v / rng.uniform(1, 3)) ** 2)
        noise = ndimage.gaussian_filter(rng.normal(size=(size, size)), rng.uniform(0.7, 2.0))
        maps.append(blob + rng.uniform(0.05, 0.3) * noise)
    return maps


def run_maps(paths: list[Path], n: int) -> list[np.ndarray]:
    """Up to ``n`` SmoothGrad maps from a run's saliency files (contract SALIENCY_MAPS)."""
    from gzxai.core.arrays import read_maps

    maps: list[np.ndarray] = []
    for path in paths:
        _, _, stacks = read_maps(path)
        maps.extend(m for stack in stacks for m in stack)
        if len(maps) >= n:
            break
    return maps[:n]


def bars_benchmark(
    n_maps: int = 200,
    size: int = 64,
    t_corr: float = 0.85,
    t_len: int = 40,
    saliency_files: list[Path] | None = None,
) -> dict:
    """Fast against literal Algorithm 1 on the run's own maps (if given) and on synthetic ones.

    The literal algorithm's cost depends on how far the threshold climbs: diffuse real
    saliency maps make it climb far, the synthetic blobs stop it early.
    """
    sets = {"synthetic": saliency_like_maps(n_maps, size, seed=0)}
    if saliency_files:
        sets["run_saliency_maps"] = run_maps(saliency_files, n_maps)
    return {name: _time_both(maps, t_corr, t_len) for name, maps in sets.items() if maps}


def _time_both(maps: list[np.ndarray], t_corr: float, t_len: int) -> dict:
    start = time.perf_counter()
    literal = [geometry.bar_length_literal(m, t_corr, t_len) for m in maps]
    literal_seconds = time.perf_counter() - start
    start = time.perf_counter()
    fast = [geometry.bar_length(m, t_corr, t_len) for m in maps]
    fast_seconds = time.perf_counter() - start
    return {
        "maps": len(maps),
        "map_size_px": int(maps[0].shape[0]),
        "t_corr": t_corr,
        "t_len": t_len,
        "literal_maps_per_second": len(maps) / literal_seconds,
        "fast_maps_per_second": len(maps) / fast_seconds,
        "speedup": literal_seconds / fast_seconds,
        "identical_lengths": int(np.sum(np.isclose(literal, fast, rtol=0, atol=1e-9))),
    }


def record(name: str, result: dict, path: Path) -> None:
    """Merge one benchmark's result into the JSON file of all benchmarks."""
    results = json.loads(path.read_text()) if path.is_file() else {}
    results[name] = result
    write_json(results, path)


def smoothgrad_benchmark(
    architecture: str = "resnet50v2", size: int = 64, n_samples: int = 64, repeats: int = 3
) -> dict:
    """Gradients per second of gzxai's SmoothGrad and of tf-keras-vis on one image."""
    from tf_keras_vis.saliency import Saliency

    from gzxai.cnn.augment import AugmentConfig
    from gzxai.cnn.models import ModelConfig, build_model
    from gzxai.core.trees import load_tree
    from gzxai.explain.smoothgrad import logits_model, smoothgrad

    target = load_tree().answer_index("t03_bar_a06_bar")
    no_augment = AugmentConfig(
        rotation=False, flips=False, shift_fraction=0.0, brightness_range=(1.0, 1.0)
    )
    model = build_model(
        ModelConfig(architecture, weights=None, head_units=()), size, 37, no_augment, seed=0
    )
    scorer = logits_model(model)
    image = np.random.default_rng(0).uniform(size=(1, size, size, 3)).astype(np.float32)

    reference = Saliency(scorer, clone=False)
    theirs_plain = reference(lambda out: out[:, target], image, smooth_samples=0)[0]
    ours_plain = smoothgrad(
        scorer, image, [0], target=target, n_samples=1, noise_level=0.0, seed=0
    )[0]

    def ours() -> None:
        smoothgrad(scorer, image, [0], target=target, n_samples=n_samples, noise_level=0.1, seed=0)

    def theirs() -> None:
        reference(lambda out: out[:, target], image, smooth_samples=n_samples, smooth_noise=0.1)

    timings = {}
    for name, call in (("gzxai", ours), ("tf_keras_vis", theirs)):
        call()  # trace and warm up
        start = time.perf_counter()
        for _ in range(repeats):
            call()
        timings[name] = repeats * n_samples / (time.perf_counter() - start)
    return {
        "model": f"{architecture} (weights=None), {size} px, 37 outputs",
        "n_samples": n_samples,
        "gzxai_gradients_per_second": timings["gzxai"],
        "tf_keras_vis_gradients_per_second": timings["tf_keras_vis"],
        "speedup": timings["gzxai"] / timings["tf_keras_vis"],
        "max_abs_difference_n1_sigma0": float(np.abs(ours_plain - theirs_plain).max()),
    }


def cnn_throughput(
    default_config: Path, configfiles: list[str], threads: int, fresh_runs: int = 3
) -> dict:
    """:func:`gzxai.studies.throughput.cnn_benchmark` under the workflow's configuration
    (``default_config`` with ``configfiles`` merged over it, as Snakemake merges them), then
    training as the workflow runs it: ``threads`` one-thread processes side by side, and one
    process of ``threads`` threads alone, in ``fresh_runs`` fresh processes."""
    import yaml
    from snakemake.utils import update_config

    from gzxai.studies.throughput import cnn_benchmark, training_in_processes

    config = yaml.safe_load(default_config.read_text())
    for path in configfiles:
        update_config(config, yaml.safe_load(Path(path).read_text()))
    result = cnn_benchmark(config, threads=threads)
    peak = result["matmul_peak_gflop_per_second"] * 1e9
    result["side_by_side"] = training_in_processes(config, processes=threads, threads=1, peak=peak)
    result["alone"] = [
        training_in_processes(config, processes=1, threads=threads, peak=peak)
        for _ in range(fresh_runs)
    ]
    return result


def mc_benchmark(
    default_config: Path,
    configfiles: list[str],
    *,
    model_path: Path | None,
    shard: Path | None,
    threads: int,
    n_galaxies: int = 512,
    repeats: int = 2,
) -> dict:
    """Views per second of batched MC dropout and of T ``predict`` calls, and their ratio.

    The model is the trained one at ``model_path`` if it exists, else the configured vote
    model with random weights (the cost does not depend on the weights); the galaxies are the
    first of ``shard`` if it exists, else random images of the GZ2 shards' size.
    """
    import yaml
    from snakemake.utils import update_config

    from gzxai.cnn.train import configure_tensorflow, load_model
    from gzxai.core.arrays import read_shard
    from gzxai.studies.throughput import forward_flops, matmul_peak
    from gzxai.votes.mc import MonteCarlo, pass_seeds
    from gzxai.votes.settings import PredictionSettings

    config = yaml.safe_load(default_config.read_text())
    for path in configfiles:
        update_config(config, yaml.safe_load(Path(path).read_text()))
    settings = PredictionSettings.from_config(config)
    configure_tensorflow(threads, settings.seed)
    if model_path is not None and model_path.is_file():
        model, source = load_model(model_path), str(model_path)
    else:
        model, source = _untrained_vote_model(config), "untrained (random weights)"
    size = int(model.input.shape[1])
    if shard is not None and shard.is_file():
        images = read_shard(shard)["images"][:n_galaxies]
    else:
        rng = np.random.default_rng(0)
        images = rng.integers(0, 256, (n_galaxies, size, size, 3), dtype=np.uint8)
    mc, batch = MonteCarlo(model), settings.batch_size
    batches = [images[i : i + batch] for i in range(0, len(images), batch)]
    seeds = [pass_seeds(settings.seed, 0, b, settings.passes) for b in range(len(batches))]

    def batched() -> np.ndarray:
        return np.concatenate([mc.samples(x, s) for x, s in zip(batches, seeds, strict=True)])

    def looped() -> np.ndarray:
        return mc.looped_samples(images, seeds, batch)

    peak, flops = matmul_peak(threads), forward_flops(model)
    timings, outputs = {}, {}
    for name, call in (("batched", batched), ("looped", looped)):
        outputs[name] = call()  # trace and warm up
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(repeats):
            call()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        views = repeats * len(images) * settings.passes
        timings[name] = {
            "views_per_second": views / wall,
            "cpu_over_wall": cpu / wall,
            "fraction_of_matmul_peak": views / wall * flops / peak,
        }
    return {
        "model": source,
        "galaxies": len(images),
        "passes": settings.passes,
        "batch_size": batch,
        "threads": threads,
        "matmul_peak_gflop_per_second": peak / 1e9,
        "forward_mflop_per_view": flops / 1e6,
        "batched": timings["batched"],
        "looped_predict": timings["looped"],
        "speedup": timings["batched"]["views_per_second"] / timings["looped"]["views_per_second"],
        "max_abs_difference": float(np.abs(outputs["batched"] - outputs["looped"]).max()),
    }


def audit_benchmark(
    gz2: Path | None, n_catalogue: int = 2000, n_queries: int = 8, seed: int = 0
) -> dict:
    """The audit's look-alike search: chunked matrix products against a Python loop over
    every (query, galaxy) pair, on the GZ2 table's observed vote fractions (random ones if
    there is no table), the same queries and weights."""
    from gzxai.audit.ranking import fractions_within_questions
    from gzxai.audit.similarity import most_similar, pairwise_most_similar, question_weights
    from gzxai.core.trees import load_tree

    tree = load_tree()
    rng = np.random.default_rng(seed)
    if gz2 is not None and gz2.is_file():
        counts = pd.read_parquet(gz2, columns=tree.gz2_columns("count")).to_numpy(float)
        catalogue = fractions_within_questions(counts, tree.answer_slices())[:n_catalogue]
        source = str(gz2)
    else:
        catalogue = rng.uniform(size=(n_catalogue, len(tree.gz2_stems)))
        source = "random fractions"
    rows = rng.choice(len(catalogue), size=n_queries, replace=False)
    answers = rng.integers(0, catalogue.shape[1], size=n_queries)
    weights = question_weights(np.ones(catalogue.shape[1]), answers, 5.0)
    queries = catalogue[rows]
    start = time.perf_counter()
    chunked = most_similar(queries, catalogue, weights, exclude=rows, required=answers)
    chunked_seconds = time.perf_counter() - start
    start = time.perf_counter()
    looped = pairwise_most_similar(queries, catalogue, weights, rows, answers)
    looped_seconds = time.perf_counter() - start
    pairs = n_queries * len(catalogue)
    return {
        "source": source,
        "catalogue_galaxies": len(catalogue),
        "queries": n_queries,
        "chunked_pairs_per_second": pairs / chunked_seconds,
        "looped_pairs_per_second": pairs / looped_seconds,
        "speedup": looped_seconds / chunked_seconds,
        "identical_choices": bool(np.array_equal(chunked[0], looped[0])),
        "max_score_difference": float(np.max(np.abs(chunked[1] - looped[1]))),
    }


def describe_audit(result: dict) -> str:
    return (
        f"look-alike search ({result['queries']} queries × {result['catalogue_galaxies']} "
        f"galaxies, {result['source']}): chunked {result['chunked_pairs_per_second']:,.0f} "
        f"pairs/s, per-pair loop {result['looped_pairs_per_second']:,.0f} pairs/s, ratio "
        f"{result['speedup']:,.0f}x; same galaxies chosen: {result['identical_choices']}"
    )


def _untrained_vote_model(config: dict):
    from gzxai.cnn.augment import augment_from_config
    from gzxai.cnn.models import ModelConfig, build_model
    from gzxai.votes.settings import vote_training

    settings = vote_training(config, "smooth")
    return build_model(
        ModelConfig.from_config(settings.model),
        settings.image_size,
        2,
        augment_from_config(settings.training["augment"]),
        settings.seed,
    )


def describe_mc(result: dict) -> str:
    return (
        f"MC dropout ({result['model']}, {result['galaxies']} galaxies × T = "
        f"{result['passes']}, batch {result['batch_size']}): batched "
        f"{result['batched']['views_per_second']:.0f} views/s (CPU/wall "
        f"{result['batched']['cpu_over_wall']:.2f}, "
        f"{result['batched']['fraction_of_matmul_peak']:.0%} of the "
        f"{result['matmul_peak_gflop_per_second']:.0f} GFLOP/s matmul peak), T predict calls "
        f"{result['looped_predict']['views_per_second']:.0f} views/s "
        f"({result['looped_predict']['fraction_of_matmul_peak']:.0%}), ratio "
        f"{result['speedup']:.1f}x; samples differ by at most {result['max_abs_difference']:.1e}"
    )


def describe_bars(result: dict) -> str:
    return "\n".join(
        f"bar measurement ({name}, {r['maps']} maps): fast {r['fast_maps_per_second']:.0f}"
        f" maps/s, literal {r['literal_maps_per_second']:.1f} maps/s, ratio "
        f"{r['speedup']:.0f}x; {r['identical_lengths']}/{r['maps']} lengths identical"
        for name, r in result.items()
    )


def describe_cnn(result: dict) -> str:
    lines = [
        f"matmul peak ({result['threads']} threads): "
        f"{result['matmul_peak_gflop_per_second']:.1f} GFLOP/s",
        "in this process:",
    ]
    lines += [
        f"  {row['job']:28s} {row['images_per_second']:8.0f} images/s  CPU/wall "
        f"{row['cpu_over_wall']:.2f}  {row['achieved_gflop_per_second']:6.1f} GFLOP/s "
        f"= {row['fraction_of_matmul_peak']:.0%} of peak"
        for row in result["jobs"]
    ]
    if "side_by_side" in result:
        alone = {row["job"]: [] for row in result["side_by_side"]}
        for run in result["alone"]:
            for row in run:
                alone[row["job"]].append(row)
        lines.append(
            f"training in fresh processes: {result['threads']} one-thread processes side by "
            f"side | one {result['threads']}-thread process alone, per fresh run"
        )
        for row in result["side_by_side"]:
            runs = ", ".join(
                f"{r['images_per_second']:.0f} ({r['cpu_over_wall']:.2f}, "
                f"{r['fraction_of_matmul_peak']:.0%})"
                for r in alone[row["job"]]
            )
            lines.append(
                f"  {row['job']:28s} {row['images_per_second']:6.0f} images/s (CPU/wall "
                f"{row['cpu_over_wall']:.2f}, {row['fraction_of_matmul_peak']:.0%} of peak) | "
                f"{runs}"
            )
    return "\n".join(lines)


def describe_smoothgrad(result: dict) -> str:
    return (
        f"SmoothGrad ({result['model']}, N={result['n_samples']}): gzxai "
        f"{result['gzxai_gradients_per_second']:.1f} gradients/s, tf-keras-vis "
        f"{result['tf_keras_vis_gradients_per_second']:.2f} gradients/s, ratio "
        f"{result['speedup']:.0f}x; N=1, σ=0 maps differ by at most "
        f"{result['max_abs_difference_n1_sigma0']:.1e}"
    )
