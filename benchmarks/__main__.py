"""`python -m benchmarks NAME [options]`: regenerates a published figure; `list` (or `--help`) names them all.

Each name runs one script of this folder as `python -m benchmarks NAME`, with its own options
(`python -m benchmarks NAME --help`). Run from the repository root, with dvfl-tf installed (`make install`).
The records the figures come from are in `benchmarks/results/`; benchmarks/README.md says which command wrote
which record.
"""

import dataclasses
import runpy
import sys


@dataclasses.dataclass(frozen=True)
class Entry:
    module: str  # run as __main__ with the remaining arguments
    regenerates: str  # the figure or file it writes
    page: str  # where the figure is shown


ENTRIES = {
    "nano-export": Entry(
        "benchmarks.export_nano",
        "the vfl_net_nano .keras and .tflite files (every mode) that nano-latency times",
        "benchmarks/README.md",
    ),
    "nano-latency": Entry(
        "benchmarks.nano_latency",
        "vfl_net_nano latency per TFLite mode and thread count, op profiles, table.txt and plots",
        "benchmarks/README.md",
    ),
    "mobile-sweep": Entry(
        "benchmarks.mobile_sweep",
        "latency of the mobile candidate configurations (results/mobile/sweep.json)",
        "docs/mobile.md",
    ),
    "stream": Entry(
        "benchmarks.stream_benchmark",
        "clip vs stream latency against MoViNet-A0, input fold; int8 stream agreement",
        "docs/mobile.md, docs/export.md",
    ),
    "round-robin": Entry(
        "benchmarks.round_robin",
        "the round-robin timing of `stream`, for any .tflite files (one invoke of each in turn)",
        "docs/export.md",
    ),
    "fine-pan-data": Entry(
        "benchmarks.fine_pan_dataset",
        "the 16-direction synthetic dataset of the distillation rows",
        "docs/mobile.md",
    ),
    "mobile-teacher": Entry(
        "benchmarks.mobile_teacher",
        "the wide vfl_net_mobile teacher of the distillation rows",
        "docs/mobile.md",
    ),
    "mobile-distill": Entry(
        "benchmarks.mobile_distill",
        "vfl_net_mobile distilled vs trained alone over seeds, with int8",
        "docs/mobile.md",
    ),
    "int8-speedup": Entry(
        "benchmarks.int8_speedup",
        "int8 and int8_mixed vs float32 against the dense int8 reference (results/int8/PRESET_int8_speedup.json)",
        "docs/benchmark.md, docs/mobile.md",
    ),
    "plot-mobile": Entry(
        "benchmarks.plot_mobile",
        "the plots of docs/images/ from the records (no model is run)",
        "docs/mobile.md",
    ),
    "quickstart-determinism": Entry(
        "benchmarks.quickstart_determinism",
        "quickstart runs side by side and digests of their models (bit-identical check)",
        "docs/training.md",
    ),
    "quickstart-record": Entry(
        "benchmarks.quickstart_record",
        "the quickstart over seeds and its bit-identical check (results/quickstart/CPU_DATE.json)",
        "README.md",
    ),
}

USAGE = "usage: python -m benchmarks {list,NAME} [options]   (python -m benchmarks NAME --help: its options)"


def listing():
    """The names, what each regenerates and the page that shows it, one line each."""
    width = max(map(len, ENTRIES))
    lines = [USAGE, "", __doc__.splitlines()[0], ""]
    lines += [f"  {name:<{width}}  {entry.regenerates} [{entry.page}]" for name, entry in ENTRIES.items()]
    return "\n".join(lines)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("list", "-h", "--help"):
        print(listing())
        return 0 if argv else 2
    name, options = argv[0], argv[1:]
    if name not in ENTRIES:
        print(f"{USAGE}\nerror: no benchmark named {name!r}; choose from: {', '.join(ENTRIES)}", file=sys.stderr)
        return 2
    saved = sys.argv
    sys.argv = [f"python -m benchmarks {name}", *options]  # argparse's prog in each script's usage line
    try:
        runpy.run_module(ENTRIES[name].module, run_name="__main__", alter_sys=False)
    finally:
        sys.argv = saved
    return 0


if __name__ == "__main__":
    sys.exit(main())
