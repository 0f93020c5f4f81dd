"""A harder synthetic task for the distillation benchmark: N pan directions instead of 8 (default 16, 22.5 deg apart).

The synthetic dataset's default classes are 8 pan directions 45 degrees apart,
each video's direction jittered by +-8 degrees; `vfl_net_mobile` learns them alone
in 150-300 steps, so a teacher has nothing to add at that budget (docs/mobile.md).
With 16 directions the neighbouring classes are 22.5 degrees apart and only 6.5
degrees separate the jittered ranges: a fine-grained task whose classes are
ordered by angle, which is what a teacher's soft labels can say and one-hot labels
cannot. The videos are rendered by the synthetic dataset's own renderer
(`dvfl_tf.data.synthetic.render_video`, the same scenes, jitter and noise) and
written in the same layout, with a `synthetic.json`, so `--dataset synthetic
--data-root DIR` (and `DataOptions(dataset="synthetic", data_root=DIR)`) read it.

    python -m benchmarks fine-pan-data --output runs/fine_pan16 --directions 16
"""

import argparse
import json
import os

import numpy as np

from dvfl_tf.data.synthetic import FORMAT_VERSION, render_video
from dvfl_tf.data.video_io import write_video


def fine_pan_classes(directions):
    """Class specs of `directions` pans, evenly spaced from 0 degrees; names sort in angle order."""
    step = 360.0 / directions
    return [{"name": f"pan_{round(k * step * 10):04d}", "kind": "pan", "angle": k * step} for k in range(directions)]


def write_fine_pan_dataset(output, directions=16, train_per_class=24, test_per_class=25, size=64, frames=16, seed=0):
    """Writes the dataset (HMDB51 layout, split 1) to `output` unless it is there; returns `output`."""
    if os.path.isfile(os.path.join(output, "synthetic.json")):
        return output
    classes = fine_pan_classes(directions)
    per_class = train_per_class + test_per_class
    split_dir = os.path.join(output, "testTrainMulti_7030_splits")
    os.makedirs(split_dir, exist_ok=True)
    for class_id, spec in enumerate(classes):
        os.makedirs(os.path.join(output, spec["name"]), exist_ok=True)
        names = []
        for video_id in range(per_class):
            rng = np.random.default_rng([seed, 1000 + class_id, video_id])  # a stream apart from the default set's
            name = f"{spec['name']}_{video_id:03d}.avi"
            write_video(os.path.join(output, spec["name"], name), render_video(spec, rng, size, frames))
            names.append(name)
        tags = ["2"] * test_per_class + ["1"] * train_per_class  # rendered independently: the order is arbitrary
        with open(os.path.join(split_dir, f"{spec['name']}_test_split1.txt"), "w", encoding="utf-8") as handle:
            handle.writelines(f"{name} {tag} \n" for name, tag in zip(names, tags, strict=True))
    options = {
        "num_classes": directions,
        "train_per_class": train_per_class,
        "test_per_class": test_per_class,
        "image_size": size,
        "num_frames": frames,
        "seed": seed,
        "generator": "python -m benchmarks fine-pan-data",
    }
    with open(os.path.join(output, "synthetic.json"), "w", encoding="utf-8") as handle:
        json.dump({"format_version": FORMAT_VERSION, "options": options, "classes": classes}, handle, indent=2)
    return output


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", required=True)
    parser.add_argument("--directions", type=int, default=16)
    args = parser.parse_args()
    print(write_fine_pan_dataset(args.output, args.directions))


if __name__ == "__main__":
    main()
