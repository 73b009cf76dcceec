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
