"""Does distillation help? The quickstart's student, distilled vs from scratch, over several seeds.

Trains the quickstart teacher once (seed 0), then for each seed trains the same
small student twice with the same recipe and budget: with the teacher (forward
KL) and without it. Evaluates the last-epoch checkpoints on the synthetic test
split and prints mean and standard deviation of top-1. Runs are resumable:
rerunning with the same --output reuses finished runs.

    PYTHONPATH=. python experiments/distill_vs_scratch.py --output runs/distill_vs_scratch --seeds 0 1 2
"""

import argparse
import json
import os
import platform
import statistics
import time

from dvfl_tf.apps import quickstart


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="runs/distill_vs_scratch")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()

    start = time.time()
    teacher = quickstart.train_teacher(args.output, seed=0)
    teacher_top1 = quickstart.evaluate_run(teacher)["top1"]
    rows = []
    for seed in args.seeds:
        distilled, scratch = quickstart.train_students(args.output, teacher, seed=seed)
        rows.append(
            {
                "seed": seed,
                "student_distilled": quickstart.evaluate_run(os.path.join(distilled, "last.keras"))["top1"],
                "student_scratch": quickstart.evaluate_run(os.path.join(scratch, "last.keras"))["top1"],
            }
        )
        print(json.dumps(rows[-1]))

    def stats(key):
        values = [row[key] for row in rows]
        return {
            "mean": statistics.mean(values),
            "std": statistics.stdev(values) if len(values) > 1 else 0.0,
            "values": values,
        }

    gains = [row["student_distilled"] - row["student_scratch"] for row in rows]
    summary = {
        "teacher_top1": teacher_top1,
        "student_distilled": stats("student_distilled"),
        "student_scratch": stats("student_scratch"),
        "gain": {"mean": statistics.mean(gains), "min": min(gains), "max": max(gains)},
        "seeds": args.seeds,
        "recipe": {
            "teacher": quickstart.TEACHER_RECIPE,
            "student": quickstart.STUDENT_RECIPE,
            "distillation": quickstart.DISTILLATION,
            "augment": quickstart.AUGMENT,
        },
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores",
        "seconds": round(time.time() - start, 1),
    }
    with open(os.path.join(args.output, "distill_vs_scratch.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(f"teacher top-1 {teacher_top1:.3f}")
    for key in ("student_distilled", "student_scratch"):
        print(f"{key:<20} top-1 {summary[key]['mean']:.3f} +- {summary[key]['std']:.3f}  {summary[key]['values']}")
    print(f"distilled - scratch: mean {summary['gain']['mean']:+.3f} (min {min(gains):+.3f}, max {max(gains):+.3f})")


if __name__ == "__main__":
    main()
