"""Exports vfl_net_nano with every block/stem LayerNorm computed as SUB/MUL (the SUB/MUL LayerNorm proposal).

An experiment, not a model change: the model module's LayerNorm factory is
replaced in this process only. Writes vfl_net_nano_submul_ln_{float32,int8}.tflite,
to be timed with `dvfl-tf benchmark` like the regular exports:

    PYTHONPATH=. python experiments/export_nano_submul_layernorm.py --output runs/benchmark_models
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from experiments.layernorm_int8 import SubMulLayerNorm  # noqa: E402


def _calibration_clips(num_frames, size, count=3, seed=0):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        yield [rng.uniform(0, 255, (num_frames, size, size, 3)).astype("float32")]


def _convert(clip_model, mode, path, num_frames, size):
    """The TFLite converter with the settings of `dvfl_tf.export` at the time (float32 or full int8)."""
    converter = tf.lite.TFLiteConverter.from_keras_model(clip_model)
    if mode != "float32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if mode == "int8":
        converter.representative_dataset = lambda: _calibration_clips(num_frames, size)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    with open(path, "wb") as f:
        f.write(converter.convert())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--output", default="runs/benchmark_models")
    args = parser.parse_args()
    from dvfl_tf.models.video_focalnet import video_focalnet_block, video_focalnet_embedding, video_focalnet_modulation
    from dvfl_tf.models.video_focalnet.video_focalnet_classifier import build_model

    # Every LayerNorm inside the blocks, the modulations and the patch embeddings (not the final `norm`).
    for module in (video_focalnet_block, video_focalnet_embedding, video_focalnet_modulation):
        module.layer_norm = lambda name, dtype=None: SubMulLayerNorm(name=name)
    model = build_model("vfl_net_nano", num_classes=400)
    os.makedirs(args.output, exist_ok=True)
    for mode in ("float32", "int8"):
        path = os.path.join(args.output, f"vfl_net_nano_submul_ln_{mode}.tflite")
        _convert(model.single_clip_model(), mode, path, model.num_frames, model.frame_shape[0])
        print(path, flush=True)


if __name__ == "__main__":
    main()
