"""Top-1 of the mobile sweep's candidates, each distilled from the quickstart teacher (the latency is in the sweep's record).

Each candidate of `mobile_sweep.CANDIDATES` (the nano's block with overrides)
is distilled at the teacher's input, 8 x 64 x 64 (the distiller feeds one batch
to both; no position embeddings, so the weights run at the candidate's native
160 px unchanged), with the quickstart student's recipe and budget (12 epochs,
AdamW, T = 1, alpha = 0.5), then evaluated on the synthetic test split, float
and, with --int8, as a full-int8 TFLite file. The latency columns come from a
`python -m benchmarks mobile-sweep` record (timed side by side there); this script trains only.

    PYTHONPATH=. python experiments/mobile_sweep_top1.py --teacher runs/quickstart/teacher/last.keras \
        --output runs/mobile_sweep_top1 --latency benchmarks/results/mobile/sweep.json [--only NAME ...] [--int8]

Finished runs are reused; writes `output/sweep_top1.json` and prints a markdown table.
"""

import argparse
import json
import os
import platform
import time

from benchmarks.mobile_distill import evaluate_with_int8, run_student, student_recipe
from benchmarks.mobile_sweep import CANDIDATES, _config
from dvfl_tf.apps import quickstart


def training_overrides(overrides):
    """A candidate's backbone overrides, without its input: the run takes frames and size from the data
    options (the teacher's 8 frames of 64 x 64)."""
    # _config: the sweep's own completion (focal levels and windows per stage).
    config = _config(overrides)
    return {key: value for key, value in config.items() if key not in ("num_frames", "image_size")}


def format_table(rows):
    lines = [
        "| candidate | GMACs (native) | params (M) | float32 ms | int8 ms | distilled top-1 | int8 top-1 |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        latency = row.get("latency") or {}

        def cell(key, digits, source=row):
            value = source.get(key)
            return "n/m" if value is None else f"{value:.{digits}f}"

        lines.append(
            f"| {row['name']} | {cell('gmacs', 2, latency)} | {cell('params_m', 2, latency)} | "
            f"{cell('float32_ms', 1, latency)} | {cell('int8_ms', 1, latency)} | {cell('top1', 3)} | "
            f"{cell('int8_top1', 3)} |"
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teacher", required=True, help="the quickstart teacher's last.keras")
    parser.add_argument("--output", default="runs/mobile_sweep_top1")
    parser.add_argument("--only", nargs="+", default=None, help="candidate names (default: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--latency", default=None, help="a mobile-sweep sweep.json whose rows to join")
    parser.add_argument("--int8", action="store_true", help="also export and evaluate each student's int8 file")
    args = parser.parse_args()
    names = args.only or list(CANDIDATES)
    unknown = sorted(set(names) - set(CANDIDATES))
    if unknown:
        parser.error(f"--only: unknown candidates {unknown}; known: {sorted(CANDIDATES)}")
    if not os.path.isfile(args.teacher):
        parser.error(f"--teacher: file not found: {args.teacher}")
    latency = {}
    if args.latency:
        with open(args.latency) as f:
            latency = {row["name"]: row for row in json.load(f)["rows"]}
    start = time.time()
    teacher_top1 = quickstart.evaluate_run(args.teacher)["top1"]
    rows = []
    for name in names:
        run = run_student(
            os.path.join(args.output, name),
            args.seed,
            teacher=args.teacher,
            recipe=student_recipe(),
            student="vfl_net_nano",
            overrides=training_overrides(CANDIDATES[name]),
        )
        if args.int8:
            result = evaluate_with_int8(run)
        else:
            result = {"top1": quickstart.evaluate_run(os.path.join(run, "last.keras"))["top1"]}
        row = {"name": name, "run": run, **result}
        if name in latency:
            keep = ("gmacs", "params_m", "float32_ms", "int8_ms", "float32_ops", "int8_ops")
            row["latency"] = {key: latency[name].get(key) for key in keep}
        rows.append(row)
        print(json.dumps(row), flush=True)
        summary = {  # written after every candidate: a stopped sweep keeps what it measured
            "teacher": args.teacher,
            "teacher_top1": teacher_top1,
            "input": f"{quickstart.NUM_FRAMES}x{quickstart.IMAGE_SIZE}x{quickstart.IMAGE_SIZE} (the teacher's)",
            "recipe": {"student": student_recipe(), "distillation": quickstart.DISTILLATION},
            "seed": args.seed,
            "latency_record": args.latency,
            "rows": rows,
            "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores",
            "seconds": round(time.time() - start, 1),
        }
        with open(os.path.join(args.output, "sweep_top1.json"), "w") as f:
            json.dump(summary, f, indent=2)
    print(f"teacher top-1 {teacher_top1:.3f}")
    print(format_table(rows))


if __name__ == "__main__":
    main()
