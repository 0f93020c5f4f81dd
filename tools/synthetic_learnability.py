"""How quickly a tiny Video-FocalNet learns the synthetic motion dataset.

Generates the synthetic dataset (real .avi files) with the given size options,
trains `tests.model_testing.tiny_classifier` with plain `keras.Model.fit` through
the real `clip_dataset` pipeline (official synthetic augmentation), and prints
per-epoch train / test top-1 and wall time. Used to choose the generator's
defaults (figures in docs/data.md).

    PYTHONPATH=. python tools/synthetic_learnability.py --epochs 8
    PYTHONPATH=. python tools/synthetic_learnability.py --train-per-class 48 --image-size 48 --no-augment
"""

import argparse
import os
import tempfile
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--num-classes", type=int, default=None)
    parser.add_argument("--train-per-class", type=int, default=None)
    parser.add_argument("--test-per-class", type=int, default=None)
    parser.add_argument("--image-size", type=int, default=None, help="generated frame size (default: generator's)")
    parser.add_argument("--clip-size", type=int, default=64, help="model input size")
    parser.add_argument("--num-frames", type=int, default=8, help="sampled frames per clip")
    parser.add_argument("--embed-dim", type=int, default=32)
    parser.add_argument("--depths", default="1,1,2,1")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--no-augment", action="store_true")
    parser.add_argument("--data-root", default=None, help="where to generate (default: a temporary folder)")
    args = parser.parse_args()

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    from dvfl_tf.data.clip_config import ClipDatasetConfig
    from dvfl_tf.data.datasets import load_index
    from dvfl_tf.data.pipeline import clip_dataset
    from dvfl_tf.data.synthetic import DEFAULTS
    from tests.model_testing import tiny_classifier

    size_options = {
        "num_classes": args.num_classes,
        "train_per_class": args.train_per_class,
        "test_per_class": args.test_per_class,
        "image_size": args.image_size,
    }
    size_options = {k: v for k, v in size_options.items() if v is not None}
    root = args.data_root or os.path.join(tempfile.mkdtemp(prefix="synthetic-learn-"), "data")
    start = time.perf_counter()
    index = load_index("synthetic", root, split=1, **size_options)
    print(
        f"generated {sum(index.counts().values())} videos in {time.perf_counter() - start:.1f}s "
        f"({ {**DEFAULTS, **size_options} })",
        flush=True,
    )
    keras.utils.set_random_seed(0)
    common = dict(
        num_frames=args.num_frames,
        image_size=args.clip_size,
        short_side=args.clip_size,
        dataset_name="synthetic",
        batch_size=args.batch_size,
    )
    train = clip_dataset(
        index.records("train"),
        index.num_classes,
        ClipDatasetConfig(training=True, augment=False if args.no_augment else None, **common),
    )
    train_eval = clip_dataset(index.records("train"), index.num_classes, ClipDatasetConfig(training=False, **common))
    test = clip_dataset(index.records("test"), index.num_classes, ClipDatasetConfig(training=False, **common))
    model = tiny_classifier(
        num_classes=index.num_classes,
        embed_dim=args.embed_dim,
        depths=[int(d) for d in args.depths.split(",")],
        num_frames=args.num_frames,
        image_size=args.clip_size,
    )
    model.compile(
        optimizer=keras.optimizers.AdamW(args.lr, weight_decay=0.05),
        loss=keras.losses.CategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.CategoricalAccuracy(name="top1")],
    )
    print(
        f"model: {model.count_params()} parameters; train {len(index.records('train'))} / "
        f"test {len(index.records('test'))} videos",
        flush=True,
    )
    elapsed = 0.0
    for epoch in range(1, args.epochs + 1):
        tick = time.perf_counter()
        model.fit(train, epochs=1, verbose=0)
        elapsed += time.perf_counter() - tick
        train_top1 = model.evaluate(train_eval, verbose=0, return_dict=True)["top1"]
        test_top1 = model.evaluate(test, verbose=0, return_dict=True)["top1"]
        print(
            f"epoch {epoch}: train top-1 {train_top1:.3f}  test top-1 {test_top1:.3f}  training time {elapsed:.0f}s",
            flush=True,
        )


if __name__ == "__main__":
    main()
