"""MoViNet-A0 trained on the synthetic benchmark with the quickstart student's budget, then int8 TFLite.

Runs in the MoViNet virtualenv (TensorFlow 2.20, tf-keras) on the batches
that `dump_synthetic_clips.py` wrote from dvfl-tf's pipeline (the exact
augmented clips of the quickstart student run of each seed, in order):

    .venv-movinet/bin/python benchmarks/movinet/train_movinet.py --data runs/movinet_synthetic \
        --seeds 0 1 2 --epochs 12 --summary benchmarks/results/mobile/movinet_trained_e12.json

Model: export_movinet.py's base MoViNet-A0 (Google's TFLite recipe: 2plus1d,
2plus3d SE, hard-swish, no positional encoding), 8 classes, 8 x 64 x 64,
fresh weights, MovinetClassifier's defaults otherwise (no dropout). Input:
the [0, 255] clips divided by 255 (MoViNet's [0, 1] RGB).

Recipe: dvfl-tf's `TrainConfig` with the quickstart's STUDENT_RECIPE (meta.json
of the dump): AdamW at a fixed 5e-4 (not batch-scaled), weight decay 0.05
decoupled (`w -= lr * wd * w`) and kept off every variable of rank <= 1 (dvfl-tf's
`no_decay_variables`: BN gammas/betas, biases), global-norm clipping at 5
(TrainConfig's default), `WarmupCosine` (dvfl-tf's own schedule): linear warm-up
over min(2, epochs / 4) epochs (`mobile_distill.student_recipe`), then cosine to 0;
mean cross-entropy on one-hot labels (no label smoothing), batch 8. Top-1 on
the 200 test clips after the last epoch (no checkpoint selection).

Then full-int8 TFLite with export_movinet.py's converter (TFLITE_BUILTINS_INT8,
int8 input/output), calibrated on the 64 training clips of dvfl-tf's
`--num-calibration 64`, and top-1 of the int8 and float32 files on the test
clips with ai-edge-litert, plus int8-vs-Keras-float top-1 agreement.
Per seed, `output/e{E}_seed{S}.json` (reused on a rerun); `--summary`: mean, std.
"""

import argparse
import importlib.util
import json
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402 (after the log level)
import tensorflow as tf  # noqa: E402
import tf_keras  # noqa: E402
from ai_edge_litert.interpreter import Interpreter  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import export_movinet  # noqa: E402 (next to this file)


def _dvfl_recipe():
    """dvfl_tf/training/optimization.py, loaded by path: it needs only Keras 3 (here too), while `import dvfl_tf`
    registers its models with Keras, which needs keras-hub (not in this venv)."""
    path = os.path.join(HERE, "..", "..", "dvfl_tf", "training", "optimization.py")
    spec = importlib.util.spec_from_file_location("dvfl_recipe", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_recipe = _dvfl_recipe()
WarmupCosine, no_decay_variables = _recipe.WarmupCosine, _recipe.no_decay_variables

CLIPNORM = 5.0  # dvfl_tf.training.run.TrainConfig.clipnorm, which STUDENT_RECIPE keeps


class DvflSchedule(tf_keras.optimizers.schedules.LearningRateSchedule):
    """dvfl-tf's `WarmupCosine` (a Keras 3 schedule) as a tf-keras one: the same function of the step."""

    def __init__(self, schedule):
        self.schedule = schedule

    def __call__(self, step):
        return self.schedule(step)

    def get_config(self):
        return self.schedule.get_config()


def student_recipe(meta, epochs):
    """The dump's STUDENT_RECIPE at `epochs`, warm-up min(2, epochs / 4) as `mobile_distill.student_recipe`."""
    recipe = dict(meta["student_recipe"])
    recipe["epochs"] = epochs
    recipe["warmup_epochs"] = min(recipe["warmup_epochs"], epochs / 4)
    return recipe


def build_optimizer(model, recipe, steps_per_epoch):
    total = recipe["epochs"] * steps_per_epoch
    warmup = int(round(recipe["warmup_epochs"] * steps_per_epoch))
    schedule = DvflSchedule(WarmupCosine(recipe["lr"], total, warmup))
    optimizer = tf_keras.optimizers.AdamW(
        learning_rate=schedule, weight_decay=recipe["weight_decay"], global_clipnorm=CLIPNORM
    )
    optimizer.exclude_from_weight_decay(var_list=no_decay_variables(model))
    return optimizer


def train(model, optimizer, clips, labels, num_classes, batch_size, steps_per_epoch, epochs):
    """Trains on the dumped batches in order; returns one {epoch, loss, top1} row per epoch (training set)."""
    variables = model.trainable_variables

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            logits = model(x / 255.0, training=True)
            loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(tf.one_hot(y, num_classes), logits))
            if model.losses:
                loss += tf.add_n(model.losses)
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss, tf.reduce_sum(tf.cast(tf.equal(tf.argmax(logits, -1, output_type=tf.int32), y), tf.float32))

    history = []
    for epoch in range(epochs):
        start, losses, correct = time.time(), [], 0.0
        for index in range(epoch * steps_per_epoch, (epoch + 1) * steps_per_epoch):
            rows = slice(index * batch_size, (index + 1) * batch_size)
            loss, hits = step(tf.constant(clips[rows]), tf.constant(labels[rows]))
            losses.append(float(loss))
            correct += float(hits)
        row = {
            "epoch": epoch + 1,
            "loss": float(np.mean(losses)),
            "top1": correct / (steps_per_epoch * batch_size),
            "seconds": round(time.time() - start, 1),
        }
        history.append(row)
        print(json.dumps(row), flush=True)
    return history


def keras_predictions(model, clips, batch_size=16):
    return np.concatenate(
        [
            np.argmax(model(clips[i : i + batch_size] / 255.0, training=False).numpy(), -1)
            for i in range(0, len(clips), batch_size)
        ]
    )


def tflite_predictions(data, clips):
    """Top-1 class of each clip ([0, 255]) through a TFLite file (float32 or int8 input/output) in LiteRT."""
    interpreter = Interpreter(model_content=data, num_threads=2)
    interpreter.allocate_tensors()
    source, target = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    predictions = []
    for clip in clips:
        x = clip[None] / 255.0
        if source["dtype"] == np.int8:
            scale, zero = source["quantization"]
            x = np.clip(np.round(x / scale + zero), -128, 127)
        interpreter.set_tensor(source["index"], x.astype(source["dtype"]))
        interpreter.invoke()
        # Dequantizing is monotonic (positive scale): the argmax of the int8 logits is the class.
        predictions.append(int(np.argmax(interpreter.get_tensor(target["index"])[0])))
    return np.array(predictions)


def run_seed(data_dir, seed, epochs, output, lr=None):
    path = os.path.join(output, f"e{epochs}_seed{seed}.json")
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    start = time.time()
    with open(os.path.join(data_dir, "meta.json")) as f:
        meta = json.load(f)
    with open(os.path.join(data_dir, f"seed{seed}.json")) as f:
        stream = json.load(f)
    if stream["epochs"] < epochs:
        raise SystemExit(f"{data_dir}/seed{seed}.json: the dump holds {stream['epochs']} epochs, fewer than {epochs}")
    recipe = student_recipe(meta, epochs)
    if lr:  # a diagnostic off the recipe (not the same-budget comparison)
        recipe["lr"] = lr
    batch_size, steps = stream["batch_size"], stream["steps_per_epoch"]
    if batch_size != recipe["batch_size"]:
        raise SystemExit(f"{data_dir}: batch {batch_size} in the dump, {recipe['batch_size']} in the recipe")
    clips = np.load(os.path.join(data_dir, f"seed{seed}_train_clips.npy"), mmap_mode="r")
    labels = np.load(os.path.join(data_dir, f"seed{seed}_train_labels.npy"))
    test_clips = np.load(os.path.join(data_dir, "test_clips.npy"))
    test_labels = np.load(os.path.join(data_dir, "test_labels.npy"))
    calibration = np.load(os.path.join(data_dir, "calibration_clips.npy"))
    num_classes = len(meta["class_names"])
    _, num_frames, image_size, _, _ = clips.shape

    tf_keras.backend.clear_session()
    tf_keras.utils.set_random_seed(seed)
    model, input_shape = export_movinet.build(False, num_frames, image_size, num_classes=num_classes)
    weights = os.path.join(output, f"e{epochs}_seed{seed}.weights.h5")
    trained = os.path.join(output, f"e{epochs}_seed{seed}_history.json")
    if os.path.exists(trained):  # trained already (a rerun after a failed export): evaluate those weights
        model.load_weights(weights)
        with open(trained) as f:
            history, train_seconds = json.load(f)
    else:
        optimizer = build_optimizer(model, recipe, steps)
        history = train(model, optimizer, clips, labels, num_classes, batch_size, steps, epochs)
        train_seconds = time.time() - start
        model.save_weights(weights)
        with open(trained, "w") as f:
            json.dump([history, train_seconds], f)

    float_predictions = keras_predictions(model, test_clips)
    function = export_movinet.base_function(model, input_shape)
    files = {}
    for mode in ("float32", "int8"):
        # No trackable object: the converter then freezes this traced function directly. With the model it
        # first saves and reloads a SavedModel of the whole tf-keras MoViNet (tracing every layer), which had
        # not finished one float32 file after 18 minutes on this loaded machine; the graph converted is the same.
        data = export_movinet.convert(
            function, None, mode, lambda: ([tf.constant(clip[None] / 255.0, tf.float32)] for clip in calibration)
        )
        files[mode] = os.path.join(output, f"e{epochs}_seed{seed}_{mode}.tflite")
        with open(files[mode], "wb") as f:
            f.write(data)
    float32_tflite = tflite_predictions(open(files["float32"], "rb").read(), test_clips)
    int8_tflite = tflite_predictions(open(files["int8"], "rb").read(), test_clips)
    row = {
        "seed": seed,
        "epochs": epochs,
        "top1": float(np.mean(float_predictions == test_labels)),
        "int8_top1": float(np.mean(int8_tflite == test_labels)),
        "int8_agreement": float(np.mean(int8_tflite == float_predictions)),
        "float32_tflite_top1": float(np.mean(float32_tflite == test_labels)),
        "float32_tflite_agreement": float(np.mean(float32_tflite == float_predictions)),
        "train_top1_last_epoch": history[-1]["top1"],
        "history": history,
        "params": int(model.count_params()),
        "files": files,
        "recipe": recipe,
        "clipnorm": CLIPNORM,
        "test_clips": len(test_labels),
        "calibration_clips": len(calibration),
        "train_seconds": round(train_seconds, 1),
        "seconds": round(time.time() - start, 1),
        "load_average": os.getloadavg(),
    }
    with open(path, "w") as f:
        json.dump(row, f, indent=2)
    return row


def _stats(values):
    return {"mean": statistics.mean(values), "std": statistics.stdev(values) if len(values) > 1 else 0.0}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="runs/movinet_synthetic", help="dump_synthetic_clips.py's --output")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--output", default=None, help="default: --data")
    parser.add_argument(
        "--summary", default=None, help="JSON with the rows, mean and std (e.g. benchmarks/results/...)"
    )
    parser.add_argument("--lr", type=float, default=None, help="peak LR instead of the recipe's (a diagnostic)")
    parser.add_argument("--note", default="", help="free text kept in the summary (how the seeds were run, load)")
    args = parser.parse_args()
    output = args.output or args.data
    os.makedirs(output, exist_ok=True)
    start = time.time()
    rows = []
    for seed in args.seeds:
        row = run_seed(args.data, seed, args.epochs, output, args.lr)
        rows.append({key: value for key, value in row.items() if key != "history"})
        print(json.dumps({key: row[key] for key in ("seed", "top1", "int8_top1", "int8_agreement")}), flush=True)
    summary = {
        "model": "MoViNet-A0 base (tf-models-official 2.20, export_movinet.RECIPE), 8 x 64 x 64, 8 classes",
        "recipe": export_movinet.RECIPE,
        **{key: _stats([row[key] for row in rows]) for key in ("top1", "int8_top1", "int8_agreement")},
        "float32_tflite_top1": _stats([row["float32_tflite_top1"] for row in rows]),
        "rows": rows,
        "commands": {
            "dump": "PYTHONPATH=. .venv/bin/python benchmarks/movinet/dump_synthetic_clips.py --seed S --epochs 12 "
            f"--output {args.data}",
            "train": " ".join(sys.argv),
        },
        "note": args.note,
        "load_average_at_summary": os.getloadavg(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, TensorFlow {tf.__version__}",
        "seconds": round(time.time() - start, 1),
    }
    if args.summary:
        with open(args.summary, "w") as f:
            json.dump(summary, f, indent=2)
    for key in ("top1", "int8_top1", "int8_agreement", "float32_tflite_top1"):
        print(f"{key:<20} {summary[key]['mean']:.3f} +- {summary[key]['std']:.3f}")


if __name__ == "__main__":
    main()
