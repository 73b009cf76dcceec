"""Stage settings: built from the configuration once, read back by the command unchanged."""

import pytest
import yaml

from gzxai.bars.settings import FigureSettings, MeasureSettings
from gzxai.bias.settings import LabelBiasSettings
from gzxai.cnn.settings import TrainingSettings
from gzxai.core.errors import ConfigError
from gzxai.splits.settings import SplitSettings

from ..conftest import REPO


@pytest.fixture(scope="module")
def config():
    return yaml.safe_load((REPO / "config" / "config.yaml").read_text())


@pytest.mark.parametrize(
    "build",
    [
        lambda c: MeasureSettings.from_config(c),
        lambda c: FigureSettings.from_config(c),
        lambda c: LabelBiasSettings.from_config(c),
        lambda c: TrainingSettings.member(c, "vgg16"),
        lambda c: TrainingSettings.classifier(c),
        lambda c: SplitSettings.from_config(c, "bars"),
    ],
)
def test_settings_survive_the_round_trip_through_the_command_line(config, build):
    settings = build(config)
    assert type(settings).from_json(settings.to_json()) == settings


def test_nested_settings_come_back_typed(config):
    back = MeasureSettings.from_json(MeasureSettings.from_config(config).to_json())
    assert isinstance(back.grid.t_corr, tuple) and back.grid.t_len == (10, 20, 30, 40, 50)
    figure = FigureSettings.from_json(FigureSettings.from_config(config).to_json())
    assert figure.saliency.n_samples == config["saliency"]["n_samples"]


def test_a_job_sees_only_its_own_settings(config):
    """The bar catalogue's split takes the measurement block's seed, the others the run's."""
    assert SplitSettings.from_config(config, "bars").seed == config["measure"]["split_seed"]
    assert SplitSettings.from_config(config, "bars").test_fraction == 0.0
    members = SplitSettings.from_config(config, "members")
    assert (members.seed, members.test_fraction) == (config["seed"], 0.10)
    assert TrainingSettings.classifier(config).training["loss"] == "debiased"


def test_params_that_do_not_fit_name_the_keys():
    with pytest.raises(ConfigError, match="SplitSettings settings: unknown colour; missing seed"):
        SplitSettings.from_json('{"name": "bars", "validation_fraction": 0.3, '
                                '"test_fraction": 0, "colour": 1}')  # fmt: skip
    with pytest.raises(ConfigError, match="not JSON"):
        SplitSettings.from_json("{name: bars}")
