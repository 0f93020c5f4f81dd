"""MoViNet-A0 (tf-models-official) -> TFLite float32 and int8, base (8-frame clip) and stream (one frame + states).

Runs in its own virtualenv (`make -C benchmarks/movinet venv`: TensorFlow 2.20,
tf-keras, tf-models-official 2.20), not in dvfl-tf's:

    .venv-movinet/bin/python benchmarks/movinet/export_movinet.py --output runs/movinet --sizes 172 224

Google's TFLite recipe (official/projects/movinet/tools/export_saved_model.py
and quantize_movinet.py): conv_type "2plus1d" (each 3-D conv as a spatial
Conv2D then a temporal (k, 1) Conv2D), se_type "2plus3d", hard-swish,
hard-sigmoid gating, no positional encoding, 600 classes, batch 1; full int8
with TFLITE_BUILTINS_INT8 and int8 input/output, calibrated on frames run
through the model with their states (the stream model). Fresh weights: the
pretrained checkpoints cannot be downloaded here, and latency does not depend
on the weights. Also writes `movinet.json`: GMACs (counted from the traced TF
graph, as dvfl-tf's `profile_model`) and params of each model.
"""

import argparse
import importlib.util
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

NUM_CLASSES = 600
NUM_FRAMES = 8
RECIPE = {
    "conv_type": "2plus1d",
    "se_type": "2plus3d",
    "activation": "hard_swish",
    "gating_activation": "hard_sigmoid",
    "use_positional_encoding": False,
}


def build(causal, num_frames, image_size, num_classes=NUM_CLASSES):
    import tf_keras
    from official.projects.movinet.modeling import movinet, movinet_model

    input_shape = (1, num_frames, image_size, image_size, 3)
    input_specs = tf_keras.layers.InputSpec(shape=input_shape)
    backbone = movinet.Movinet(
        model_id="a0",
        causal=causal,
        input_specs=input_specs,
        use_sync_bn=False,
        use_external_states=causal,
        conv_type=RECIPE["conv_type"],
        se_type=RECIPE["se_type"],
        activation=RECIPE["activation"],
        gating_activation=RECIPE["gating_activation"],
        use_positional_encoding=RECIPE["use_positional_encoding"],
    )
    model = movinet_model.MovinetClassifier(
        backbone,
        num_classes=num_classes,
        output_states=causal,
        input_specs=dict(image=input_specs),
        activation=RECIPE["activation"],
    )
    model.build(input_shape)
    return model, input_shape


def _random_clips(shape, count, seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    # [0, 1] RGB, MoViNet's input range.
    return [rng.uniform(0, 1, shape).astype("float32") for _ in range(count)]


def base_function(model, input_shape):
    import tensorflow as tf

    return tf.function(lambda image: model(image)).get_concrete_function(
        tf.TensorSpec(input_shape, tf.float32, name="image")
    )


def stream_function(model, frame_shape):
    """(concrete function of {image, *states} -> {logits, *states}, initial states)."""
    import tensorflow as tf

    states = model.init_states(frame_shape)
    image = tf.ones(frame_shape)
    _, states = model({**states, "image": image})
    specs = {name: tf.TensorSpec(value.shape, value.dtype, name=name) for name, value in states.items()}
    specs["image"] = tf.TensorSpec(frame_shape, tf.float32, name="image")

    def predict(inputs):
        logits, new_states = model(inputs)
        return {**new_states, "logits": logits}

    return tf.function(predict).get_concrete_function(specs), model.init_states(frame_shape)


def convert(function, model, mode, representative_dataset=None):
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_concrete_functions([function], model)
    if mode == "int8":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative_dataset
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    return converter.convert()


def count_macs(function):
    # dvfl_tf/models/profiling.py, loaded by path: a pure graph walk (TensorFlow and NumPy only), while
    # `import dvfl_tf.models` registers dvfl-tf's models with Keras, which needs keras-hub (not in this venv).
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "dvfl_tf", "models", "profiling.py")
    spec = importlib.util.spec_from_file_location("dvfl_profiling", path)
    profiling = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(profiling)
    return profiling._graph_macs(function.graph)  # noqa: SLF001


def export(output, image_size, kinds, modes=("float32", "int8")):
    import numpy as np
    import tensorflow as tf

    rows = {}
    if "base" in kinds:
        model, shape = build(causal=False, num_frames=NUM_FRAMES, image_size=image_size)
        function = base_function(model, shape)
        name = f"movinet_a0_base_{NUM_FRAMES}x{image_size}"
        rows[name] = {"gmacs": count_macs(function) / 1e9, "params": int(model.count_params()), "input": list(shape)}
        clips = _random_clips(shape, 8)
        for mode in modes:
            data = convert(function, model, mode, lambda: ([tf.constant(c)] for c in clips))
            path = os.path.join(output, f"{name}_{mode}.tflite")
            with open(path, "wb") as f:
                f.write(data)
            rows[name][f"{mode}_file"] = path
            print(f"{path}: {len(data) / 1e6:.1f} MB", flush=True)
    if "stream" in kinds:
        frame_shape = (1, 1, image_size, image_size, 3)
        model, _ = build(causal=True, num_frames=1, image_size=image_size)
        function, init_states = stream_function(model, frame_shape)
        name = f"movinet_a0_stream_{image_size}"
        rows[name] = {
            "gmacs_per_frame": count_macs(function) / 1e9,
            "params": int(model.count_params()),
            "input": list(frame_shape),
        }

        def stateful_frames():
            # quantize_movinet.py's recipe: run clips frame by frame, yield the frames with their input states.
            for clip in _random_clips((1, NUM_FRAMES, image_size, image_size, 3), 4):
                states = init_states
                for index in range(NUM_FRAMES):
                    frame = tf.constant(clip[:, index : index + 1])
                    inputs = {**states, "image": frame}
                    yield inputs
                    _, states = model(inputs)

        for mode in modes:
            data = convert(function, model, mode, stateful_frames)
            path = os.path.join(output, f"{name}_{mode}.tflite")
            with open(path, "wb") as f:
                f.write(data)
            rows[name][f"{mode}_file"] = path
            print(f"{path}: {len(data) / 1e6:.1f} MB", flush=True)
    del np
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="runs/movinet")
    parser.add_argument("--sizes", type=int, nargs="+", default=[172, 224])
    parser.add_argument("--kinds", nargs="+", default=["base", "stream"], choices=["base", "stream"])
    parser.add_argument(
        "--modes",
        nargs="+",
        default=["float32", "int8"],
        choices=["float32", "int8"],
        help="float32 converts in minutes; int8 (calibrated through the tf-keras model) takes far longer",
    )
    args = parser.parse_args()
    os.makedirs(args.output, exist_ok=True)
    summary_path = os.path.join(args.output, "movinet.json")
    summary = {}
    if os.path.exists(summary_path):
        with open(summary_path) as f:
            summary = json.load(f)
    for size in args.sizes:
        for kind in args.kinds:
            try:
                summary.update(export(args.output, size, [kind], args.modes))
            except Exception as error:  # record why a variant does not convert, keep the others
                summary[f"movinet_a0_{kind}_{size}_error"] = f"{type(error).__name__}: {str(error)[-2000:]}"
                print(f"{kind} {size}: FAILED {type(error).__name__}: {str(error)[-500:]}", flush=True)
            with open(summary_path, "w") as f:
                json.dump({**summary, "recipe": RECIPE, "num_classes": NUM_CLASSES}, f, indent=2)
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
