"""Exports vfl_net_nano with every block/stem LayerNorm computed as SUB/MUL (proposal 1 of benchmarks/README.md).

An experiment, not a model change: the model module's LayerNorm factory is
replaced in this process only. Writes vfl_net_nano_submul_ln_{float32,int8}.tflite,
to be timed with `dvfl-tf benchmark` like the regular exports:

    python benchmarks/analysis/export_nano_submul_layernorm.py --output runs/benchmark_models
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from export_nano import _convert  # noqa: E402

from analysis.layernorm_int8 import SubMulLayerNorm  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--output", default="runs/benchmark_models")
    args = parser.parse_args()
    from dvfl_tf.models.video_focalnet import video_focalnet_layers
    from dvfl_tf.models.video_focalnet.video_focalnet_classifier import build_model

    video_focalnet_layers._layer_norm = lambda name: SubMulLayerNorm(name=name)
    model = build_model("vfl_net_nano", num_classes=400)
    os.makedirs(args.output, exist_ok=True)
    for mode in ("float32", "int8"):
        path = os.path.join(args.output, f"vfl_net_nano_submul_ln_{mode}.tflite")
        _convert(model.single_clip_model(), mode, path, model.num_frames, model.frame_shape[0])
        print(path, flush=True)


if __name__ == "__main__":
    main()
