import numpy as np
import pytest

keras = pytest.importorskip("keras")

from gzxai.cnn.augment import CENTRAL_DRAWS, ViewConfig, galaxy_views  # noqa: E402
from gzxai.cnn.models import ModelConfig, build_model  # noqa: E402
from gzxai.votes.mc import MonteCarlo, pass_seeds, shard_samples  # noqa: E402

VIEW = ViewConfig(size_px=16, zoom=(1.1, 1.3), random_crop=True)


def vote_model(output="softmax", n_outputs=2, seed=0):
    cfg = ModelConfig("walmsley", activation="relu", head_units=(16,), width=8, output=output,
                      dropout=0.5)  # fmt: skip
    return build_model(cfg, 32, n_outputs, VIEW, seed)


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).integers(0, 256, (6, 32, 32, 3), dtype=np.uint8)


@pytest.fixture(scope="module")
def mc():
    return MonteCarlo(vote_model())


def test_the_samples_have_a_samples_axis_and_are_probabilities(mc, images):
    samples = mc.samples(images, pass_seeds(1, 0, 0, 5))
    assert samples.shape == (6, 2, 5) and samples.dtype == np.float32
    np.testing.assert_allclose(samples.sum(axis=1), 1.0, rtol=1e-5)


def test_the_same_seed_gives_the_same_samples_and_another_seed_others(mc, images):
    seeds = pass_seeds(7, 0, 0, 4)
    first, again = mc.samples(images, seeds), mc.samples(images, seeds)
    np.testing.assert_array_equal(first, again)
    other = mc.samples(images, pass_seeds(8, 0, 0, 4))
    assert np.abs(first - other).max() > 1e-4
    # Each pass has its own mask and view: the passes of one galaxy differ.
    assert np.abs(np.diff(first[:, 0, :], axis=1)).min() > 0


def test_the_batched_passes_equal_a_loop_of_predict_calls(mc, images):
    seeds = [pass_seeds(3, 1, b, 4) for b in range(2)]
    batched = np.concatenate([mc.samples(images[:4], seeds[0]), mc.samples(images[4:], seeds[1])])
    np.testing.assert_allclose(batched, mc.looped_samples(images, seeds, batch_size=4), atol=1e-6)


def test_a_galaxys_samples_do_not_depend_on_its_neighbours_in_the_batch(mc, images):
    """A shard is predicted in batches: the draws are per row, so a galaxy's samples depend
    on its batch's seed and its row alone."""
    seeds = pass_seeds(3, 0, 0, 3)
    whole = mc.samples(images, seeds)
    np.testing.assert_allclose(mc.samples(images[:3], seeds), whole[:3], atol=1e-6)


def test_the_single_network_has_no_dropout(mc, images):
    seed = pass_seeds(5, 0, 0, 1)[0]
    np.testing.assert_array_equal(mc.single(images, seed), mc.single(images, seed))
    assert mc.single(images, seed).shape == (6, 2)


def test_a_shard_is_predicted_batch_by_batch_with_its_own_seeds(mc, images):
    batches = list(shard_samples(mc, images, seed=1, shard=0, passes=3, batch_size=4))
    assert [b[0].shape for b in batches] == [(4, 2, 3), (2, 2, 3)]
    np.testing.assert_allclose(batches[0][0], mc.samples(images[:4], pass_seeds(1, 0, 0, 3)))


def test_the_dirichlet_model_gives_concentrations_between_1_and_101(images):
    samples = MonteCarlo(vote_model("dirichlet", 37)).samples(images, pass_seeds(1, 0, 0, 2))
    assert samples.shape == (6, 37, 2)
    assert samples.min() >= 1.0 and samples.max() <= 101.0


def test_a_model_without_dropout_is_refused():
    cfg = ModelConfig("walmsley", head_units=(8,), width=8, output="softmax")
    with pytest.raises(ValueError, match="not a vote model"):
        MonteCarlo(build_model(cfg, 32, 2, VIEW, 0))


def test_the_central_view_is_the_greyscale_image_cropped_at_the_mean_zoom():
    image = np.zeros((1, 40, 40, 3), np.float32)
    image[0, 10:30, 10:30, 0] = 0.9  # a square in the red channel
    view = ViewConfig(size_px=20, zoom=(2.0, 2.0), random_crop=False)
    out = galaxy_views(image, np.array([CENTRAL_DRAWS], np.float32), view).numpy()
    assert out.shape == (1, 20, 20, 1)
    # 1/2 of the image, centred: the square fills the view; greyscale is the channel mean.
    np.testing.assert_allclose(out[0, 2:-2, 2:-2, 0], 0.3, atol=1e-5)


def test_flips_and_quarter_turns_move_pixels_where_they_should():
    image = np.zeros((1, 9, 9, 1), np.float32)
    image[0, 1, 7, 0] = 1.0  # row 1, column 7: upper right
    no_zoom = ViewConfig(size_px=9, zoom=(1.0, 1.0), random_crop=False, contrast=(1.0, 1.0))
    draws = np.array([CENTRAL_DRAWS], np.float32)
    flipped = draws.copy()
    flipped[0, 0] = 0.0  # left-right flip
    out = galaxy_views(image, flipped, no_zoom).numpy()[0, :, :, 0]
    assert out[1, 1] == pytest.approx(1.0)
    turned = draws.copy()
    turned[0, 2] = 1.0  # the full 90°
    out = galaxy_views(image, turned, no_zoom).numpy()[0, :, :, 0]
    assert out.max() == pytest.approx(1.0) and out[1, 7] == 0.0
    assert np.argwhere(out == out.max()).tolist() in ([[1, 1]], [[7, 7]])


def test_the_contrast_scales_the_deviation_from_the_image_mean():
    rng = np.random.default_rng(0)
    image = rng.uniform(0.2, 0.8, (1, 8, 8, 1)).astype(np.float32)
    view = ViewConfig(size_px=8, zoom=(1.0, 1.0), random_crop=False, flips=False,
                      rotation_deg=0.0, contrast=(0.5, 1.5))  # fmt: skip
    draws = np.array([[1, 1, 0, 1.0, 0.5, 0.5, 0.5]], np.float32)  # factor 1.5
    out = galaxy_views(image, draws, view).numpy()
    mean = image.mean()
    np.testing.assert_allclose(out, (image - mean) * 1.5 + mean, atol=1e-5)


def test_a_saved_vote_model_loads_and_predicts_the_same(tmp_path, images):
    from gzxai.cnn.train import load_model

    model = vote_model("dirichlet", 37)
    model.save(tmp_path / "m.keras")
    back = load_model(tmp_path / "m.keras")
    seeds = pass_seeds(2, 0, 0, 2)
    np.testing.assert_allclose(
        MonteCarlo(back).samples(images, seeds), MonteCarlo(model).samples(images, seeds), rtol=1e-6
    )
