"""The quickstart student's training batches and the synthetic test split, as .npy files for MoViNet-A0.

Runs in dvfl-tf's virtualenv (its Keras 3 data pipeline does not run in the
MoViNet one); `train_movinet.py` then trains MoViNet-A0 on exactly these
batches, in this order:

    PYTHONPATH=. .venv/bin/python benchmarks/movinet/dump_synthetic_clips.py --seed 0 --epochs 12 \
        --output runs/movinet_synthetic

Writes to `output/`:

    seed{S}_train_clips.npy     float32 (steps*epochs*batch, T, H, W, 3), RGB in [0, 255]: the augmented
                                clips of every training step, batch after batch (not integers: the crop
                                is resized, so they are not stored as uint8)
    seed{S}_train_labels.npy    int32 class index of each clip
    test_clips.npy, test_labels.npy   the test split as `dvfl-tf evaluate` sees it (one view)
    calibration_clips.npy       the 64 training clips of `export-tflite --int8 --num-calibration 64`
    seed{S}.json, meta.json     class names, shapes, recipe, steps per epoch

The stream is the one every `train`/`distill` run of this seed sees (the
quickstart's student included): it is built by the trainer's own
`seeded_training_datasets`, which seeds TensorFlow first because the
pipeline's per-epoch salts depend on the global seed too. The first
`epochs * steps_per_epoch` batches of a longer dump are the stream of a
shorter run of the same seed (the salts do not depend on the epoch count).
"""

import argparse
import json
import os
import time

import numpy as np

from dvfl_tf.apps import quickstart
from dvfl_tf.data.data_options import evaluation_dataset, load_dataset_index
from dvfl_tf.export.calibration import dataset_clips
from dvfl_tf.training.run import TrainConfig
from dvfl_tf.training.workflows import seeded_training_datasets


def dump_training_stream(options, seed, epochs, batch_size, path_prefix):
    """Writes the first `epochs * steps_per_epoch` batches of the training dataset of `seed`; returns its meta."""
    config = TrainConfig(output=path_prefix, seed=seed, batch_size=batch_size)  # output: not written
    index, train, _, steps, _ = seeded_training_datasets(config, options, validate=False)
    total = steps * epochs
    shape = (total * batch_size, options.num_frames, options.image_size, options.image_size, 3)
    clips = np.lib.format.open_memmap(f"{path_prefix}_train_clips.npy", mode="w+", dtype=np.float32, shape=shape)
    labels = np.zeros(total * batch_size, np.int32)
    for step, (batch_clips, batch_targets) in enumerate(train.take(total)):
        rows = slice(step * batch_size, (step + 1) * batch_size)
        clips[rows] = batch_clips.numpy()
        labels[rows] = np.argmax(batch_targets.numpy(), axis=-1)
    clips.flush()
    np.save(f"{path_prefix}_train_labels.npy", labels)
    return {"class_names": index.class_names, "steps_per_epoch": steps, "epochs": epochs, "clips": list(shape)}


def dump_test_split(options, output, batch_size=16):
    """The test split as `dvfl_tf.evaluation.evaluate` reads it: (clips, labels), in the index's order."""
    index = load_dataset_index(options)
    clips, labels = [], []
    for batch_clips, batch_targets in evaluation_dataset(options, index, batch_size):
        clips.append(batch_clips.numpy())
        labels.append(np.argmax(batch_targets.numpy(), axis=-1))
    np.save(os.path.join(output, "test_clips.npy"), np.concatenate(clips).astype(np.float32))
    np.save(os.path.join(output, "test_labels.npy"), np.concatenate(labels).astype(np.int32))
    calibration = dataset_clips(
        options.dataset, options.data_root, options.num_frames, options.image_size, 64, num_verify=8
    )
    np.save(os.path.join(output, "calibration_clips.npy"), np.stack(calibration.calibration).astype(np.float32))
    return {
        "class_names": index.class_names,
        "test_clips": sum(len(c) for c in clips),
        "calibration": calibration.description,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--epochs", type=int, default=quickstart.STUDENT_RECIPE["epochs"])
    parser.add_argument("--output", default="runs/movinet_synthetic")
    args = parser.parse_args()
    os.makedirs(args.output, exist_ok=True)
    start = time.time()
    options = quickstart._data_options()  # noqa: SLF001 (the quickstart's data: 8 x 64 x 64, its augmentation)
    batch_size = quickstart.STUDENT_RECIPE["batch_size"]
    meta = dump_training_stream(
        options, args.seed, args.epochs, batch_size, os.path.join(args.output, f"seed{args.seed}")
    )
    meta.update(seed=args.seed, batch_size=batch_size, data=options.to_dict(), seconds=round(time.time() - start, 1))
    with open(os.path.join(args.output, f"seed{args.seed}.json"), "w") as f:
        json.dump(meta, f, indent=2)
    if not os.path.exists(os.path.join(args.output, "meta.json")):
        test = dump_test_split(options, args.output)
        test.update(data=options.to_dict(), student_recipe=quickstart.STUDENT_RECIPE)
        with open(os.path.join(args.output, "meta.json"), "w") as f:
            json.dump(test, f, indent=2)
    print(json.dumps(meta), flush=True)


if __name__ == "__main__":
    main()
