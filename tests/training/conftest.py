import pytest


@pytest.fixture(scope="session")
def tiny_video_dataset(tmp_path_factory):
    """A tiny synthetic motion dataset (real AVI files, HMDB51 layout): 3 classes, 32x32, 8 frames."""
    from dvfl_tf.data import ensure_synthetic

    root = str(tmp_path_factory.mktemp("videos") / "synthetic")
    return ensure_synthetic(root, num_classes=3, train_per_class=4, test_per_class=2, image_size=32, num_frames=8)


@pytest.fixture(scope="session")
def tiny_teacher_file(tmp_path_factory):
    """A `.keras` teacher for 3 classes, 4 frames of 32x32: one stage of dim 12 (a distillation step traces it
    with the student; its depth is not what the tests that use it are about)."""
    import keras

    from tests.model_testing import tiny_classifier

    keras.utils.set_random_seed(0)
    path = str(tmp_path_factory.mktemp("teacher") / "teacher.keras")
    tiny_classifier(3, embed_dim=12, depths=[1], focal_levels=[2], focal_windows=[3]).save(path)
    return path
