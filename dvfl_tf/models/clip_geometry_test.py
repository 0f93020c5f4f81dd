import keras
import pytest

from dvfl_tf.models.clip_geometry import ClipGeometry, clip_geometry
from tests.model_testing import tiny_classifier


def test_classifier_and_single_clip_graph_share_one_geometry():
    model = tiny_classifier(num_classes=3, num_frames=4, image_size=32)
    expected = ClipGeometry(num_frames=4, height=32, width=32)
    assert clip_geometry(model) == expected
    assert clip_geometry(model.single_clip_model()) == expected
    assert expected.clip_shape == (4, 32, 32, 3) and expected.batch_shape(2) == (2, 4, 32, 32, 3)
    # A plain functional model is read from its input: (batch, frames, H, W, 3) or (frames, H, W, 3).
    clips = keras.Input(shape=(6, 16, 24, 3))
    assert clip_geometry(keras.Model(clips, keras.layers.Flatten()(clips))) == ClipGeometry(6, 16, 24)
    frames = keras.Input(shape=(16, 24, 3), batch_size=6)
    assert clip_geometry(keras.Model(frames, keras.layers.Flatten()(frames))) == ClipGeometry(6, 16, 24)


def test_models_without_a_static_clip_input_are_refused():
    images = keras.Input(shape=(16, 16, 3))  # batch axis unknown: images, not one clip
    with pytest.raises(ValueError, match=r"needs a static clip input.*Received: input shape=\(None, 16, 16, 3\)"):
        clip_geometry(keras.Model(images, images, name="images"))
    with pytest.raises(ValueError, match="has no clip input"):
        clip_geometry(keras.Sequential([keras.layers.Dense(2)]))
    with pytest.raises(ValueError, match="height must be a positive integer. Received: height=0"):
        ClipGeometry(4, 0, 8)
