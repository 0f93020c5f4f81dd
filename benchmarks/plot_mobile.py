"""The plots of docs/mobile.md, drawn from the records in benchmarks/results/mobile/ (no model is run).

    python -m benchmarks plot-mobile --output docs/images

- `mobile_vs_movinet_latency.png`: from `stream_latency_quiet.json` (one round-robin run): ms per 8-frame
  clip and ms per streamed frame, `vfl_net_mobile` float32 / int8 against MoViNet-A0 float32 at 160 / 172 px.
- `mobile_sweep.png`: from `sweep.json` (latency, timed side by side) and, if present,
  `sweep_top1.json` (top-1 of each candidate distilled from the quickstart teacher): int8 vs float32 ms
  per candidate, labelled with GMACs and top-1.
"""

import argparse
import json
import os

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "mobile")

LATENCY_BARS = [  # (label, file in the record, colour)
    ("vfl_net_mobile\nfloat32, 160", "clip_float32.tflite", "stream_float32.tflite", "tab:blue"),
    ("vfl_net_mobile\nint8, 160", "clip_int8.tflite", "stream_int8.tflite", "tab:green"),
    (
        "MoViNet-A0\nfloat32, 160",
        "movinet_a0_base_8x160_float32.tflite",
        "movinet_a0_stream_160_float32.tflite",
        "tab:gray",
    ),
    (
        "MoViNet-A0\nfloat32, 172",
        "movinet_a0_base_8x172_float32.tflite",
        "movinet_a0_stream_172_float32.tflite",
        "tab:brown",
    ),
]


def plot_latency(record_path, output):
    with open(record_path) as f:
        record = json.load(f)
    by_name = {row["model"]: row for row in record["records"]}
    figure, (clip_axis, frame_axis) = plt.subplots(1, 2, figsize=(10, 4))
    labels = [bar[0] for bar in LATENCY_BARS]
    colours = [bar[3] for bar in LATENCY_BARS]
    clip_ms = [by_name[bar[1]]["median_ms"] for bar in LATENCY_BARS]
    frame_ms = [by_name[bar[2]]["ms_per_frame"] for bar in LATENCY_BARS]
    for axis, values, title in (
        (clip_axis, clip_ms, "8-frame clip model: ms per clip"),
        (frame_axis, frame_ms, "stream model: ms per new frame"),
    ):
        bars = axis.bar(range(len(values)), values, color=colours)
        axis.bar_label(bars, fmt="%.2f")
        axis.set_xticks(range(len(values)), labels, fontsize=8)
        axis.set_title(title, fontsize=10)
        axis.set_ylabel("median ms (2 threads, XNNPACK)")
    figure.suptitle(record["header"].lstrip("# "), fontsize=8)
    figure.tight_layout()
    path = os.path.join(output, "mobile_vs_movinet_latency.png")
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def plot_sweep(sweep_path, top1_path, output):
    with open(sweep_path) as f:
        sweep = json.load(f)
    top1 = {}
    if top1_path and os.path.exists(top1_path):
        with open(top1_path) as f:
            top1 = {row["name"]: row["top1"] for row in json.load(f)["rows"]}
    figure, axis = plt.subplots(figsize=(6, 4.5))
    legend = []
    for number, row in enumerate(sweep["rows"], start=1):
        chosen = row["name"] == "m48_d111_160_t2_dw_f1_gs_p8"
        axis.scatter(
            row["float32_ms"], row["int8_ms"], s=40 + 200 * row["gmacs"], color="tab:red" if chosen else "tab:blue"
        )
        # Numbers at the points and the names beside the plot: neighbouring points' names would overprint.
        axis.annotate(str(number), (row["float32_ms"], row["int8_ms"]), xytext=(7, 4), textcoords="offset points")
        words = f"{number}: {row['name']}, {row['gmacs']:.2f} GMACs"
        if row["name"] in top1:
            words += f", top-1 {top1[row['name']]:.3f}"
        legend.append(words + (" (vfl_net_mobile)" if chosen else ""))
    axis.text(1.02, 0.5, "\n".join(legend), fontsize=7, va="center", family="monospace", transform=axis.transAxes)
    axis.set_xlabel("float32 ms per 8x160x160 clip")
    axis.set_ylabel("int8 ms per 8x160x160 clip")
    axis.set_title(
        f"mobile sweep ({sweep.get('when', '')}, load average {sweep['load_average_before_after']})", fontsize=9
    )
    path = os.path.join(output, "mobile_sweep.png")
    figure.savefig(path, dpi=110, bbox_inches="tight")  # the legend lies right of the axes
    plt.close(figure)
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="docs/images")
    parser.add_argument("--results", default=RESULTS)
    args = parser.parse_args()
    os.makedirs(args.output, exist_ok=True)
    print(plot_latency(os.path.join(args.results, "stream_latency_quiet.json"), args.output))
    print(
        plot_sweep(os.path.join(args.results, "sweep.json"), os.path.join(args.results, "sweep_top1.json"), args.output)
    )


if __name__ == "__main__":
    main()
