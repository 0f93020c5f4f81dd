"""Building the model to train: preset arguments given as options or inside --backbone-overrides."""

from dvfl_tf.training.model_setup import build_or_load


def test_drop_path_rate_and_input_size_inside_the_backbone_overrides_are_taken():
    model = build_or_load(
        "vfl_net_mobile", num_classes=3, overrides={"drop_path_rate": 0.0, "image_size": 32, "norm": "affine"}
    )
    backbone = model.backbone
    assert (backbone.drop_path_rate, backbone.image_size, backbone.norm) == (0.0, 32, "affine")
    # The explicit argument wins where both are given.
    model = build_or_load("vfl_net_mobile", num_classes=3, drop_path_rate=0.1, overrides={"drop_path_rate": 0.0})
    assert model.backbone.drop_path_rate == 0.1
