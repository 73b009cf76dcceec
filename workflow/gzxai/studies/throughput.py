"""How well the CNN jobs use the machine: images (or gradients) per second, CPU time over
wall time, and the achieved FLOP/s as a fraction of the machine's own peak, all measured in
one run (``python -m gzxai benchmark cnn``).

The peak is a large fp32 matmul in TensorFlow with the same threads. A model's FLOPs are
counted from its layers' shapes (multiply-adds × 2 of every convolution and dense layer);
a training step is taken as three forward passes (forward, and backward through weights and
activations), an input gradient as two. Each job type runs its own model, batch size and
augmentation on random in-memory images of its input size, so the figure is the model's
compute, not the input pipeline's. :func:`training_in_processes` measures training again in
fresh processes, side by side or alone, because how a process's threads are placed on the
cores is decided when it starts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

#: A training step costs about three forward passes; an input gradient about two.
TRAIN_PASSES, GRADIENT_PASSES = 3.0, 2.0


def matmul_peak(threads: int, n: int = 2048, repeats: int = 20) -> float:
    """FLOP/s of an n×n fp32 matmul in TensorFlow (the machine's practical peak)."""
    import tensorflow as tf

    a = tf.random.uniform((n, n), dtype=tf.float32, seed=0)
    b = tf.random.uniform((n, n), dtype=tf.float32, seed=1)
    multiply = tf.function(lambda x, y: tf.linalg.matmul(x, y))
    multiply(a, b).numpy()
    start = time.perf_counter()
    for _ in range(repeats):
        result = multiply(a, b)
    result.numpy()
    return 2.0 * n**3 * repeats / (time.perf_counter() - start)


def forward_flops(model) -> float:
    """FLOPs of one image's forward pass through the convolution and dense layers."""
    from keras import layers

    total = 0.0
    for layer in _layers(model):
        if isinstance(layer, layers.SeparableConv2D):
            kh, kw = layer.kernel_size
            _, h, w, c_out = layer.output.shape
            c_in = layer.input.shape[-1]
            total += 2.0 * h * w * (kh * kw * c_in + c_in * c_out)
        elif isinstance(layer, layers.DepthwiseConv2D):
            kh, kw = layer.kernel_size
            _, h, w, c_out = layer.output.shape
            total += 2.0 * h * w * kh * kw * c_out
        elif isinstance(layer, layers.Conv2D):
            kh, kw = layer.kernel_size
            _, h, w, c_out = layer.output.shape
            total += 2.0 * h * w * kh * kw * layer.input.shape[-1] * c_out
        elif isinstance(layer, layers.Dense):
            total += 2.0 * layer.input.shape[-1] * layer.units
    return total


def _layers(model):
    for layer in model.layers:
        if hasattr(layer, "layers") and layer.layers and layer.name != "augmentation":
            yield from _layers(layer)
        else:
            yield layer


def _timed(step: Callable[[], None], repeats: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of ``repeats`` calls, after a warm-up."""
    step()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(repeats):
        step()
    return time.perf_counter() - wall, time.process_time() - cpu


def job_throughput(
    name: str,
    model,
    *,
    kind: str,
    batch_size: int,
    peak: float,
    loss,
    repeats: int = 20,
) -> dict:
    """Throughput of one job type: ``train`` (fit steps), ``predict`` or ``gradients``."""
    import keras
    import tensorflow as tf

    size = model.input_shape[1]
    n_out = model.output_shape[-1]
    rng = np.random.default_rng(0)
    images = tf.constant(rng.uniform(size=(batch_size, size, size, 3)).astype(np.float32))
    targets = tf.constant(rng.uniform(size=(batch_size, n_out)).astype(np.float32))
    flops = forward_flops(model)
    if kind == "train":
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss, jit_compile=False)
        wall, cpu = _timed(lambda: model.train_on_batch(images, targets), repeats)
        passes = TRAIN_PASSES
    elif kind == "predict":
        call = tf.function(lambda x: model(x, training=False))
        wall, cpu = _timed(lambda: call(images).numpy(), repeats)
        passes = 1.0
    else:

        @tf.function
        def gradients(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                score = tf.reduce_sum(model(x, training=False)[:, 0])
            return tape.gradient(score, x)

        wall, cpu = _timed(lambda: gradients(images).numpy(), repeats)
        passes = GRADIENT_PASSES
    per_second = repeats * batch_size / wall
    achieved = per_second * flops * passes
    return {
        "job": name,
        "kind": kind,
        "input_px": int(size),
        "batch_size": batch_size,
        "forward_mflop_per_image": flops / 1e6,
        "images_per_second": per_second,
        "cpu_over_wall": cpu / wall,
        "achieved_gflop_per_second": achieved / 1e9,
        "fraction_of_matmul_peak": achieved / peak,
    }


def _job_specs(config: dict) -> list[tuple[str, dict, dict, int, int]]:
    """(name, model block, training block, input px, outputs) of every CNN job type."""
    from gzxai.core.config import image_geometry, member_training, merge_training

    jobs = [
        (member, block, member_training(config, member), config["images"]["size_px"], 37)
        for member, block in config["members"].items()
    ]
    classifier = config["bias"]["classifier"]
    jobs.append(
        (
            "bias_classifier",
            classifier["model"],
            merge_training(config["training"], classifier["training"]),
            image_geometry(config, "gz2")["size_px"],
            1,
        )
    )
    direct = config["direct"]
    jobs.append(
        (
            "direct",
            direct["model"],
            merge_training(config["training"], direct["training"]),
            config["images"]["size_px"],
            1,
        )
    )
    return jobs


def _trainable(spec: tuple[str, dict, dict, int, int], seed: int = 0):
    """(model, loss, batch size) of a job type's training."""
    from gzxai.cnn.models import ModelConfig, build_model
    from gzxai.cnn.train import TrainingConfig, _objective

    _, block, training, size, n_out = spec
    train_cfg = TrainingConfig.from_config(training)
    loss, _, _ = _objective(train_cfg.loss if n_out == 37 else "mse", n_out)
    model = build_model(ModelConfig.from_config(block), size, n_out, train_cfg.augment, seed)
    return model, loss, train_cfg.batch_size


def cnn_benchmark(config: dict, threads: int, repeats: int = 20) -> dict:
    """Every CNN job type of ``config`` (members, bias classifier, direct CNN) against the
    matmul peak, measured in this process with ``threads`` TensorFlow threads."""
    from gzxai.cnn.augment import AugmentConfig
    from gzxai.cnn.models import ModelConfig, build_model
    from gzxai.cnn.train import configure_tensorflow

    configure_tensorflow(threads, int(config["seed"]))
    peak = matmul_peak(threads)
    rows = []
    no_augment = AugmentConfig(
        rotation=False, flips=False, shift_fraction=0.0, brightness_range=(1.0, 1.0)
    )
    for spec in _job_specs(config):
        name, block, _, size, n_out = spec
        trainable, loss, batch_size = _trainable(spec)
        rows.append(
            job_throughput(
                f"train {name}", trainable, kind="train", batch_size=batch_size,
                peak=peak, loss=loss, repeats=repeats,
            )
        )  # fmt: skip
        plain = build_model(ModelConfig.from_config(block), size, n_out, no_augment, 0)
        rows.append(
            job_throughput(
                f"predict {name}", plain, kind="predict", batch_size=256, peak=peak, loss=loss,
                repeats=repeats,
            )
        )  # fmt: skip
        if n_out == 37:
            rows.append(
                job_throughput(
                    f"saliency {name}", plain, kind="gradients",
                    batch_size=int(config["saliency"]["chunk"]), peak=peak,
                    loss=loss, repeats=repeats,
                )
            )  # fmt: skip
    return {"threads": threads, "matmul_peak_gflop_per_second": peak / 1e9, "jobs": rows}


def _training_worker(config, spec, threads, repeats, peak, start, results) -> None:
    from gzxai.cnn.train import configure_tensorflow

    configure_tensorflow(threads, int(config["seed"]))
    model, loss, batch_size = _trainable(spec)
    start.wait()  # every process built its model: the timed steps overlap
    row = job_throughput(
        f"train {spec[0]}", model, kind="train", batch_size=batch_size, peak=peak, loss=loss,
        repeats=repeats,
    )  # fmt: skip
    results.put(row)


def training_in_processes(
    config: dict,
    *,
    processes: int,
    threads: int,
    peak: float,
    repeats: int = 60,
    jobs: Sequence[str] | None = None,
) -> list[dict]:
    """Training throughput of each job type in ``processes`` fresh processes of ``threads``
    TensorFlow threads each, running at the same time (as Snakemake runs jobs side by side).

    In a fresh process rather than this one because a process's thread placement is what
    is measured: on the 2-core machine this was written on, one process with two threads
    ran at either one core's speed or two cores' speed, decided when it started.
    ``jobs`` names the job types to measure (all by default).
    """
    import multiprocessing

    context = multiprocessing.get_context("spawn")  # TensorFlow does not survive fork
    rows = []
    for spec in _job_specs(config):
        if jobs is not None and spec[0] not in jobs:
            continue
        start, results = context.Barrier(processes), context.Queue()
        workers = [
            context.Process(
                target=_training_worker,
                args=(config, spec, threads, repeats, peak, start, results),
            )
            for _ in range(processes)
        ]
        for worker in workers:
            worker.start()
        each = [results.get() for _ in workers]
        for worker in workers:
            worker.join()
        rows.append(
            {
                "job": f"train {spec[0]}",
                "processes": processes,
                "threads_each": threads,
                "images_per_second_each": [r["images_per_second"] for r in each],
                "images_per_second": sum(r["images_per_second"] for r in each),
                "cpu_over_wall": sum(r["cpu_over_wall"] for r in each),
                "fraction_of_matmul_peak": sum(r["fraction_of_matmul_peak"] for r in each),
            }
        )
    return rows
