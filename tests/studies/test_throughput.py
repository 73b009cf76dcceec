import pytest

keras = pytest.importorskip("keras")

from gzxai.studies.throughput import forward_flops  # noqa: E402


def test_flops_are_counted_from_every_convolution_and_dense_layer():
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, padding="same")(inputs)  # 2·8·8·3·3·3·4 = 13,824
    x = keras.layers.SeparableConv2D(6, 3, padding="same")(x)  # 2·8·8·(9·4 + 4·6) = 7,680
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Flatten()(x)  # 4·4·6 = 96 features
    outputs = keras.layers.Dense(5)(x)  # 2·96·5 = 960
    model = keras.Model(inputs, outputs)
    assert forward_flops(model) == 13_824 + 7_680 + 960
    nested = keras.Model(inputs, keras.layers.Dense(2)(model(inputs)))  # + 2·5·2
    assert forward_flops(nested) == 13_824 + 7_680 + 960 + 20


def test_training_side_by_side_runs_one_process_per_slot_and_sums_them(config):
    from gzxai.studies.throughput import training_in_processes

    member = next(iter(config["members"]))
    rows = training_in_processes(
        config, processes=2, threads=1, peak=1e12, repeats=2, jobs=[member]
    )
    (row,) = rows
    assert row["job"] == f"train {member}"
    assert (row["processes"], row["threads_each"]) == (2, 1)
    each = row["images_per_second_each"]
    assert len(each) == 2 and all(rate > 0 for rate in each)
    assert row["images_per_second"] == sum(each)
    # Each one-thread process keeps at most about one core busy.
    assert 0 < row["cpu_over_wall"] <= 2 * 1.25
