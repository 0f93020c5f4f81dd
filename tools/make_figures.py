"""Writes the figure tables of the docs from the records in benchmarks/results/ (make figures).

Each table lives in a page between two marker comments:

    <!-- figures:NAME -->
    ...
    <!-- /figures:NAME -->

and is written by one function below, registered with the page and the records it reads. Every table ends
with the provenance of its records (commit, date, CPU model and int8-relevant flags, load), read from the
record itself or, for records whose format has no room for it (lists of `dvfl-tf benchmark` records, text
output), from `benchmarks/results/provenance.json`. tests/test_docs_figures.py fails when a page differs from
this script's output: after adding or changing a record, run `make figures`.

    python tools/make_figures.py           # rewrite every block
    python tools/make_figures.py --check   # exit 1 naming each block that differs
"""

import argparse
import dataclasses
import json
import pathlib
import re
import sys

from dvfl_tf.apps.quickstart_recipe import recipe_description

REPO = pathlib.Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"
PROVENANCE = "provenance.json"
PAGES = ("README.md", "docs/*.md", "benchmarks/README.md")
NOT_RECORDED = "not recorded"
BLOCK = re.compile(r"<!-- figures:([\w-]+) -->\n(.*?)<!-- /figures:\1 -->", re.S)


@dataclasses.dataclass(frozen=True)
class Table:
    name: str
    page: str  # relative to the repository root
    records: object  # tuple of paths under benchmarks/results/, or a function of the results folder giving them
    write: object  # function(Records) -> list of lines


TABLES = {}


def table(name, page, records):
    def register(function):
        TABLES[name] = Table(name, page, records, function)
        return function

    return register


class Records:
    """The records of one table, read from `results` (benchmarks/results/ unless a test gives another)."""

    def __init__(self, results, paths):
        self.results = pathlib.Path(results)
        self.paths = list(paths)

    def __getitem__(self, path):
        text = (self.results / path).read_text()
        return text if not path.endswith(".json") else json.loads(text)

    def provenance(self, path):
        return provenance(path, self.results)


def table_records(spec, results=RESULTS):
    return list(spec.records(pathlib.Path(results)) if callable(spec.records) else spec.records)


def provenance(path, results=RESULTS):
    """command, commit, date, cpu and load of a record: its own fields, else its entry in provenance.json."""
    results = pathlib.Path(results)
    record = json.loads((results / path).read_text()) if path.endswith(".json") else None
    if isinstance(record, dict) and "command" in record:
        load = record.get("load_average_before", record.get("load_average", NOT_RECORDED))
        if "load_average_after" in record:
            load = {"before": record["load_average_before"], "after": record["load_average_after"]}
        return {key: record.get(key, NOT_RECORDED) for key in ("command", "commit", "date", "cpu")} | {
            "load_average": load
        }
    sidecar = results / PROVENANCE
    entries = json.loads(sidecar.read_text())["records"] if sidecar.exists() else {}
    if path not in entries:
        raise KeyError(f"{path}: no command in the record and no entry in {PROVENANCE}")
    return entries[path]


# Formatting


def _cpu(cpu):
    if isinstance(cpu, str):
        return cpu
    model = cpu.get("cpu_model", NOT_RECORDED)
    flags = cpu.get("int8_flags", NOT_RECORDED)
    flags = ", ".join(flags) if isinstance(flags, list) else flags
    if cpu.get("int8_dot_product") is False:
        flags += " (no int8 dot product)"
    model = "CPU model not recorded" if model == NOT_RECORDED else model
    return f"{model} ({cpu.get('machine', 'machine not recorded')}, {cpu.get('cores', '?')} cores), int8 flags: {flags}"


def _load(load):
    if isinstance(load, dict):
        return " / ".join(f"{_load(value)} {key}" for key, value in load.items())
    if isinstance(load, list):
        return " ".join(f"{value:.2f}" for value in load)
    return str(load)


def _commit(commit):
    return commit[:7] if re.fullmatch(r"[0-9a-f]{40}", commit) else commit


def source_lines(page, records):
    """One line per record: its path, commit, date, CPU and load; its command is in benchmarks/README.md."""
    link = _relative(page, "benchmarks/README.md") + "#commands"
    lines = [f"Records (in `benchmarks/results/`; the command of each: [benchmarks/README.md]({link})):", ""]
    groups = {}  # records of one provenance share a line
    for path in records.paths:
        info = records.provenance(path)
        line = (
            f"commit {_commit(info['commit'])}; date {info['date']}; {_cpu(info['cpu'])}; "
            f"load average {_load(info['load_average'])}."
        )
        groups.setdefault(line, []).append(f"`{path}`")
    return lines + [f"- {', '.join(paths)}: {line}" for line, paths in groups.items()]


def _with_sources(page, records, lines):
    return [*lines, "", *source_lines(page, records)]


def _relative(page, target):
    if page == target:
        return ""
    depth = page.count("/")
    return "../" * depth + target


def _row(*cells):
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def _header(*names):
    return [_row(*names), "|" + "---|" * len(names)]


def _ms(value):
    return f"{value:.2f}" if value < 100 else f"{value:.1f}"


def _mean_std(summary):
    return f"{summary['mean']:.3f} +- {summary['std']:.3f}"


# README: the quickstart


def quickstart_records(results):
    """Every record of the quickstart's current recipe (its `quickstart_recipe` is the code's), by file name.

    A record of another recipe stays out of the table, so changing the recipe empties the table until
    `python -m benchmarks quickstart-record` has recorded the new one.
    """
    folder = pathlib.Path(results) / "quickstart"
    current = json.loads(json.dumps(recipe_description()))
    paths = sorted(folder.glob("*.json"))
    return [
        f"quickstart/{path.name}" for path in paths if json.loads(path.read_text()).get("quickstart_recipe") == current
    ]


QUICKSTART_FIGURES = ("teacher", "student_distilled", "student_scratch", "student_int8_tflite")


def _quickstart_time(record):
    """`make quickstart` (and `make test`) on a fresh clone where timed, else the median time of the record's runs."""
    clone = record.get("fresh_clone")
    if not clone:
        return f"{record['seconds']['median']:.0f} s a run ({record.get('parallel', 1)} at a time)"
    text = f"make quickstart {clone['make_quickstart']['seconds'] / 60:.1f} min (install {clone['make_install']['seconds'] / 60:.1f} min)"
    if "make_test" in clone:
        text += f"; make test {clone['make_test']['seconds'] / 60:.1f} min"
    return text


@table("quickstart", "README.md", quickstart_records)
def quickstart_table(records):
    if not records.paths:
        return [
            "No record of the current recipe yet (records: `benchmarks/results/quickstart/`, "
            "[benchmarks/README.md](benchmarks/README.md#quickstart-records))."
        ]
    lines = _header(
        "CPU",
        "seeds",
        "teacher",
        "distilled student",
        "same student alone",
        "distilled, int8 TFLite",
        "int8 / float agreement",
        "time",
        "record",
    )
    for path in records.paths:
        record = records[path]
        seeds = record["seeds"]
        columns = [[seed["accuracy"][key] for seed in seeds] for key in QUICKSTART_FIGURES]
        columns.append([seed["int8_top1_agreement"] for seed in seeds])
        cells = [f"{sum(values) / len(values):.3f} ({max(values) - min(values):.3f})" for values in columns]
        determinism = record.get("determinism", {})
        repeat = (
            f"; seed {determinism['seed']} run {determinism['runs']} times: "
            + ("bit-identical" if determinism["bit_identical"] else "**not** bit-identical")
            if determinism
            else ""
        )
        name = path.split("/")[-1]
        lines.append(
            _row(
                _cpu(record["cpu"]),
                ", ".join(str(seed["seed"]) for seed in seeds),
                *cells,
                _quickstart_time(record),
                f"[{name}](benchmarks/results/{path}){repeat}",
            )
        )
    return _with_sources("README.md", records, lines)


# docs/mobile.md: vfl_net_mobile against MoViNet-A0, streaming, distillation


@table(
    "mobile-results",
    "docs/mobile.md",
    (
        "mobile/stream_latency_quiet.json",
        "mobile/stream_accuracy_mobile.json",
        "mobile/distill_fine_pan16_e6_T4.json",
        "mobile/distill_fine_pan16_e12_T4.json",
        "mobile/movinet_trained_e12.json",
    ),
)
def mobile_results_table(records):
    latency = records["mobile/stream_latency_quiet.json"]
    by_model = {row["model"]: row for row in latency["records"]}

    def ms(model):
        return by_model[model]["median_ms"]

    def frame(model):
        return by_model[model]["ms_per_frame"]

    (params,) = {model["params"] for model in latency["movinet_models"].values()}
    stream = records["mobile/stream_accuracy_mobile.json"]
    assert stream["stream_float32_top1_last_frame"] == stream["stream_int8_top1_last_frame"]
    lat = "`stream_latency_quiet.json`"
    lines = [
        *_header("what", "figure", "record"),
        _row(
            "`vfl_net_mobile` clip, 8x160x160: float32 / int8",
            f"{ms('clip_float32.tflite'):.2f} / {ms('clip_int8.tflite'):.2f} ms",
            lat,
        ),
        _row(
            "the same clip files without the input-normalization fold: float32 / int8",
            f"{ms('unfolded_clip_float32.tflite'):.2f} / {ms('unfolded_clip_int8.tflite'):.2f} ms",
            lat,
        ),
        _row(
            "`vfl_net_mobile` stream step (2 frames): float32 / int8",
            f"{ms('stream_float32.tflite'):.2f} / {ms('stream_int8.tflite'):.2f} ms "
            f"({frame('stream_float32.tflite'):.2f} / {frame('stream_int8.tflite'):.2f} ms per frame)",
            lat,
        ),
        _row(
            "int8 time over float32 time: clip / stream step",
            f"{ms('clip_int8.tflite') / ms('clip_float32.tflite'):.1f}x / "
            f"{ms('stream_int8.tflite') / ms('stream_float32.tflite'):.1f}x",
            lat,
        ),
        _row(
            "a new frame in the int8 stream over one more run of the int8 clip model",
            f"{frame('stream_int8.tflite') / ms('clip_int8.tflite'):.3f}",
            lat,
        ),
        _row(
            "MoViNet-A0 base float32, 8x172x172 / 8x160x160",
            f"{ms('movinet_a0_base_8x172_float32.tflite'):.2f} / {ms('movinet_a0_base_8x160_float32.tflite'):.2f} ms",
            lat,
        ),
        _row(
            "MoViNet-A0 stream float32, 160 px (1 frame)",
            f"{frame('movinet_a0_stream_160_float32.tflite'):.2f} ms per frame",
            lat,
        ),
        _row("MoViNet-A0 files: parameters", f"{params:,}", lat),
        _row(
            "our int8 clip over MoViNet-A0 base float32 at 172 px",
            f"{ms('clip_int8.tflite') / ms('movinet_a0_base_8x172_float32.tflite'):.2f}x",
            lat,
        ),
        _row(
            "our int8 stream over MoViNet-A0 stream float32, per frame at 160 px",
            f"{frame('stream_int8.tflite') / frame('movinet_a0_stream_160_float32.tflite'):.2f}x",
            lat,
        ),
        _row(
            "causal `vfl_net_mobile` student, 200 synthetic test clips: int8 vs float32 stream agreement, last step",
            f"{stream['int8_vs_float_agreement_last_frame']:.3f} (top-1 {stream['stream_int8_top1_last_frame']:.3f} both)",
            "`stream_accuracy_mobile.json`",
        ),
    ]
    for path, what in (
        ("mobile/distill_fine_pan16_e6_T4.json", "16 pan directions, 288 steps, 3 seeds: distilled vs trained alone"),
        ("mobile/distill_fine_pan16_e12_T4.json", "the same at 576 steps"),
    ):
        record = records[path]
        figure = f"{_mean_std(record['distilled'])} vs {_mean_std(record['scratch'])}"
        lines.append(_row(what, figure, f"`{path.split('/')[-1]}`"))
    movinet = records["mobile/movinet_trained_e12.json"]
    lines.append(
        _row(
            "MoViNet-A0 trained with the same recipe and batches (8 pan directions, 12 epochs, 3 seeds)",
            f"{_mean_std(movinet['top1'])} (chance 0.125)",
            "`movinet_trained_e12.json`",
        )
    )
    return _with_sources("docs/mobile.md", records, lines)


# docs/mobile.md: the int8 preset vfl_net_mobile_int8

MOBILE_INT8_LATENCY = (
    "int8/vfl_net_mobile_int8_int8_speedup.json",
    "int8/vfl_net_mobile_int8_batch_norm_int8_speedup.json",
    "int8/vfl_net_mobile_int8_conv_stem_int8_speedup.json",
    "int8/vfl_net_mobile_int8_gelu_sigmoid_int8_speedup.json",
    "int8/vfl_net_mobile_int8_hard_swish_int8_speedup.json",
)


def _overrides(overrides):
    """`key="value"`, ... of a record's backbone_overrides, as the backbone argument is written."""
    return ", ".join(f"`{key}={json.dumps(value)}`" for key, value in overrides.items())


def _record_link(page, path):
    return f"[{path.split('/')[-1]}]({_relative(page, 'benchmarks/results/' + path)})"


@table("mobile-int8-latency", "docs/mobile.md", MOBILE_INT8_LATENCY)
def mobile_int8_latency_table(records):
    lines = _header(
        "setting",
        "float32 median ms",
        "int8 median ms",
        "int8 speed-up over float32",
        "dense int8 speed-up",
        "target",
        "met",
        "int8 delegated",
        "int8 XNNPACK partitions",
        "int8 not delegated",
        "record",
    )
    threads, runs = set(), set()
    for path in records.paths:
        report = records[path]
        files = {row["precision"]: row for row in report["files"]}
        float32, int8 = files["float32"], files["int8"]
        assert int8["float32_twin"] == float32["model"], path
        overrides = report["backbone_overrides"]
        setting = f"`{report['preset']}`" + (f", {_overrides(overrides)}" if overrides else " (the preset)")
        undelegated = ", ".join(f"{op} {_ms(value)} ms" for op, value in int8["undelegated_ms_by_op"].items())
        lines.append(
            _row(
                setting,
                _ms(float32["median_ms"]),
                _ms(int8["median_ms"]),
                f"{int8['speedup_over_float32']:.2f}x",
                f"{int8['dense_int8_speedup']:.2f}x",
                f"{int8['target_speedup']:.2f}x",
                {True: "yes", False: "no"}[int8["meets_speedup_target"]],
                f"{int8['delegated_share']:.1%}",
                int8["xnnpack_partitions"],
                undelegated or "none",
                _record_link("docs/mobile.md", path),
            )
        )
        threads |= {row["threads"] for row in report["files"]}
        runs.add(report["runs"])
    float32_whole = all(
        row["delegated_share"] == 1 and row["xnnpack_partitions"] == 1
        for path in records.paths
        for row in records[path]["files"]
        if row["precision"] == "float32"
    )
    runtimes = sorted({records[path]["runtime"] for path in records.paths})
    lines += [
        "",
        f"Runtime: {', '.join(runtimes)}; {', '.join(map(str, sorted(threads)))} threads, "
        f"{', '.join(map(str, sorted(runs)))} runs of each file, alternating between the files of a record "
        "in one process. "
        + (
            "Every float32 file: 100% delegated, 1 partition."
            if float32_whole
            else "The float32 files are not all fully delegated: see the records."
        ),
    ]
    return _with_sources("docs/mobile.md", records, lines)


MOBILE_INT8_DISTILL = "mobile/distill_fine_pan16_e12_T4_mobile_int8.json"
# The other settings the record tried (its `also_tried`), by a phrase of their description.
ALSO_TRIED = (
    ("norm batch and activation gelu_sigmoid", '`norm="batch"`, `activation="gelu_sigmoid"`'),
    ("norm batch", '`norm="batch"`'),
    ("norm affine", '`norm="affine"`'),
    ("norm layer", '`norm="layer"`'),
    ("alpha 0.5", "DyT in every norm, initial alpha 0.5 (experiment script)"),
    ("alpha 2 in every norm", "DyT in every norm, initial alpha 2 (experiment script)"),
)


def _min_max(values):
    return f"{min(values):.4f} to {max(values):.4f}"


def _per_seed(rows, key):
    if not rows:
        return "not run"
    if not all(key in row for row in rows):
        return "not valid (see the record)"
    return ", ".join(f"{row[key]:.4f} (seed {row['seed']})" for row in rows)


@table("mobile-int8-accuracy", "docs/mobile.md", (MOBILE_INT8_DISTILL,))
def mobile_int8_accuracy_table(records):
    record = records[MOBILE_INT8_DISTILL]
    summaries = record["summaries"]
    lines = _header(
        "student",
        "distilled top-1",
        "trained alone top-1",
        "distilled, int8 top-1",
        "int8 vs float agreement",
        "agreement min to max",
        "seeds",
    )
    for key in ("versus", "student"):
        summary = summaries[key]
        overrides = summary.get("backbone_overrides")
        seeds = sorted({row["seed"] for rows in summary["rows"].values() for row in rows})
        lines.append(
            _row(
                f"`{summary['preset']}`" + (f", {_overrides(overrides)}" if overrides else ""),
                _mean_std(summary["distilled"]),
                _mean_std(summary["scratch"]),
                _mean_std(summary["distilled_int8"]),
                _mean_std(summary["int8_agreement"]),
                _min_max(summary["int8_agreement"]["values"]),
                ", ".join(map(str, seeds)),
            )
        )
    student, versus = summaries["student"], summaries["versus"]
    (teacher,) = {student["teacher_top1"], versus["teacher_top1"]}
    (recipe,) = {json.dumps(student["recipe"], sort_keys=True), json.dumps(versus["recipe"], sort_keys=True)}
    recipe = json.loads(recipe)
    difference = record["difference_of_means"]
    names = {"distilled": "distilled", "scratch": "trained alone", "distilled_int8": "distilled int8"}
    lines += [
        "",
        f"Difference of the means, `{student['preset']}` minus `{versus['preset']}`: "
        + ", ".join(f"{names.get(key, key)} {value:+.3f}" for key, value in difference.items())
        + f". Both: the same teacher (test top-1 {teacher:.3f}), {recipe['student']['epochs']} epochs, "
        f"temperature {recipe['distillation']['temperature']:g}, alpha {recipe['distillation']['alpha']:g}, "
        f"input {student['input']}, {student['train_per_class']} training videos per class.",
        "",
        f"Other settings of `{student['preset']}`, distilled and trained alone the same way (one option changed,"
        " or as the row says; the seeds each ran):",
        "",
        *_header(
            "setting",
            "distilled top-1",
            "distilled, int8 top-1",
            "int8 vs float agreement",
            "trained alone top-1",
            "training top-1, last epoch",
        ),
    ]
    for description, runs in record["also_tried"].items():
        label = next((label for phrase, label in ALSO_TRIED if phrase in description), description)
        distilled = runs.get("distilled", [])
        training = runs.get("training_top1_last_epoch")
        lines.append(
            _row(
                label,
                _per_seed(distilled, "top1"),
                _per_seed(distilled, "int8_top1"),
                _per_seed(distilled, "int8_agreement"),
                _per_seed(runs.get("scratch", []), "top1"),
                NOT_RECORDED if training is None else f"{training:.4f}",
            )
        )
    return _with_sources("docs/mobile.md", records, lines)


MOBILE_INT8_STREAM = "mobile/stream_latency_mobile_int8.json"


@table("mobile-int8-stream", "docs/mobile.md", (MOBILE_INT8_STREAM,))
def mobile_int8_stream_table(records):
    record = records[MOBILE_INT8_STREAM]
    by_model = {row["model"]: row for row in record["records"]}
    lines = _header(
        "mode",
        "clip ms",
        "frames per clip",
        "stream step ms",
        "frames per step",
        "stream ms per frame",
        "stream per frame over clip",
    )
    for row in record["rows"]:
        clip = by_model[f"clip_{row['mode']}.tflite"]
        assert clip["median_ms"] == row["clip_ms"]
        lines.append(
            _row(
                row["mode"],
                _ms(row["clip_ms"]),
                clip["frames_per_invoke"],
                _ms(row["stream_step_ms"]),
                row["frames_per_step"],
                f"{row['stream_per_frame_ms']:.3f}",
                f"{row['per_frame_over_clip']:.3f}",
            )
        )
    weights = "fresh weights" if record["weights"] is None else f"weights `{record['weights']}`"
    lines += [
        "",
        f"`{record['architecture']}`, {weights}; {record['threads']} threads, {record['runs']} round-robin "
        f"repeats over its {len(record['records'])} files (one invoke of each in turn; medians per invoke).",
    ]
    if record.get("compare"):  # other files timed in the same rounds (MoViNet-A0)
        lines += ["", *_header("file timed in the same run", "ms per frame", "our int8 stream per frame over it")]
        for row in record["compare"]:
            lines.append(
                _row(
                    f"`{row['model']}`",
                    f"{row['ms_per_frame']:.3f}",
                    f"{row['our_int8_stream_frame_over_theirs']:.2f}x",
                )
            )
    return _with_sources("docs/mobile.md", records, lines)


# docs/benchmark.md: does int8 pay?


@table(
    "int8-speedup",
    "docs/benchmark.md",
    ("int8/vfl_net_mobile_int8_speedup.json", "int8/vfl_net_nano_int8_speedup.json"),
)
def int8_speedup_table(records):
    lines = _header(
        "file",
        "threads",
        "runs",
        "median ms",
        "speed-up over float32",
        "dense int8 speed-up",
        "target",
        "met",
        "delegated",
        "XNNPACK partitions",
        "not delegated",
    )
    for path in records.paths:
        report = records[path]
        for row in report["files"]:
            name = row["model"].removesuffix(".tflite")
            precision = row["precision"] if not name.endswith("_mixed") else "int8_mixed"
            preset = name.removesuffix(f"_{precision}")

            def times(value):
                return "" if value is None else f"{value:.2f}x"

            met = {None: "", True: "yes", False: "no"}[row["meets_speedup_target"]]
            undelegated = ", ".join(f"{op} {_ms(value)} ms" for op, value in row["undelegated_ms_by_op"].items())
            lines.append(
                _row(
                    f"{preset} {precision}",
                    row["threads"],
                    report["runs"],
                    _ms(row["median_ms"]),
                    times(row["speedup_over_float32"]),
                    times(row["dense_int8_speedup"]),
                    times(row["target_speedup"]),
                    met,
                    f"{row['delegated_share']:.1%}",
                    row["xnnpack_partitions"],
                    undelegated,
                )
            )
    runtimes = sorted({records[path]["runtime"] for path in records.paths})
    lines += ["", f"Runtime: {', '.join(runtimes)}; medians of runs alternating between the files of a preset."]
    return _with_sources("docs/benchmark.md", records, lines)


# Op profiles (`dvfl-tf benchmark --op-profile` text output)


def op_profile(text):
    """{'sum_ms': float, section title: [(name, ms, share %, count, GMAC/s or None), ...]} of an op profile."""
    profile, section = {}, None
    for line in text.splitlines():
        if line.startswith("sum of per-op medians:"):
            profile["sum_ms"] = float(line.split(":")[1].split()[0])
        elif re.match(r"^(op type|layer)\b.*\bms\s+share", line):
            section = re.split(r"\s{2,}", line)[0]
            profile[section] = []
        elif section and (match := re.match(r"^(.+?)\s+([\d.]+)\s+([\d.]+)%\s+(\d+)(?:\s+([\d.]+))?\s*$", line)):
            name, ms, share, count, rate = match.groups()
            profile[section].append((name, float(ms), float(share), int(count), float(rate) if rate else None))
        elif not line.strip():
            section = None
    return profile


def _op_rows(rows, limit=None):
    lines = _header("name", "ms", "share", "n", "GMAC/s")
    for name, ms, share, count, rate in rows[:limit]:
        lines.append(_row(f"`{name}`", f"{ms:.1f}", f"{share:.1f}%", count, "" if rate is None else f"{rate:.1f}"))
    return lines


OP_TYPES = "op type (* = not delegated to XNNPACK)"


@table("nano-op-types-float32", "benchmarks/README.md", ("op_profile_float32_2threads.txt",))
def nano_op_types_float32(records):
    profile = op_profile(records["op_profile_float32_2threads.txt"])
    lines = [f"Sum of the ops' medians: {profile['sum_ms']:.1f} ms. Per op type:", "", *_op_rows(profile[OP_TYPES])]
    lines += ["", "Per layer role (summed over the stages), the ten largest:", ""]
    lines += _op_rows(profile["layer (all stages)"], 10)
    return _with_sources("benchmarks/README.md", records, lines)


@table("nano-op-types-int8", "benchmarks/README.md", ("after_layernorm_change/op_profile_int8_2threads.txt",))
def nano_op_types_int8(records):
    profile = op_profile(records["after_layernorm_change/op_profile_int8_2threads.txt"])
    lines = [
        f"Sum of the ops' medians: {profile['sum_ms']:.1f} ms. Per op type (`*`: not delegated to XNNPACK):",
        "",
        *_op_rows(profile[OP_TYPES]),
    ]
    return _with_sources("benchmarks/README.md", records, lines)


@table(
    "int8-mobile-op-profile",
    "docs/benchmark.md",
    ("int8/op_profile_vfl_net_mobile_float32_2threads.txt", "int8/op_profile_vfl_net_mobile_int8_mixed_2threads.txt"),
)
def int8_mobile_op_profile(records):
    float32, mixed = (op_profile(records[path])["layer (all stages)"] for path in records.paths)
    float32 = {row[0]: row for row in float32}
    lines = _header("layer role (summed over stages)", "int8_mixed ms", "share", "GMAC/s", "float32 ms", "GMAC/s")
    for name, ms, share, _count, rate in mixed:
        if rate is None or name not in float32:
            continue
        twin = float32[name]
        lines.append(_row(f"`{name}`", f"{ms:.1f}", f"{share:.1f}%", f"{rate:.1f}", f"{twin[1]:.1f}", f"{twin[4]:.1f}"))
    return _with_sources("docs/benchmark.md", records, lines)


# benchmarks/README.md: vfl_net_nano latency per TFLite mode

NANO_LABELS = {
    ("vfl_net_nano.keras", "keras-graph"): "Keras float32, graph mode",
    ("vfl_net_nano_float32.tflite", "xnnpack"): "TFLite float32",
    ("vfl_net_nano_float32.tflite", "builtin"): "TFLite float32, XNNPACK off",
    ("vfl_net_nano_fp16.tflite", "xnnpack"): "TFLite fp16 weights",
    ("vfl_net_nano_dynamic_range.tflite", "xnnpack"): "TFLite dynamic range",
    ("vfl_net_nano_int8.tflite", "xnnpack"): "TFLite int8",
}


def _nano_rows(record_list):
    """(label, model record, its dense reference record or None) for each model record, in file order."""
    references = {
        (row["precision"], row["threads"]): row for row in record_list if row["model"].startswith("dense_reference")
    }
    return [
        (NANO_LABELS[(row["model"], row["delegate"])], row, references.get((row["precision"], row["threads"])))
        for row in record_list
        if not row["model"].startswith("dense_reference")
    ]


def _roofline(row):
    return "" if row.get("roofline_fraction") is None else f"{row['roofline_fraction']:.0%}"


@table(
    "nano-modes",
    "benchmarks/README.md",
    (
        "nano_keras.json",
        "nano_float32.json",
        "nano_float32_builtin.json",
        "nano_fp16.json",
        "nano_dynamic_range.json",
        "nano_int8.json",
    ),
)
def nano_modes_table(records):
    lines = _header(
        "model", "threads", "runs", "median", "min", "p90", "peak MB", "GMAC/s", "dense ref. GMAC/s", "roofline"
    )
    for path in records.paths:
        for label, row, reference in _nano_rows(records[path]):
            lines.append(
                _row(
                    label,
                    row["threads"],
                    row["runs"],
                    f"{row['median_ms']:.1f}",
                    f"{row['min_ms']:.1f}",
                    f"{row['p90_ms']:.1f}",
                    round(row["peak_memory_mb"]),
                    f"{row['gmacs_per_s']:.1f}",
                    "" if reference is None else f"{reference['gmacs_per_s']:.1f}",
                    _roofline(row),
                )
            )
    return _with_sources("benchmarks/README.md", records, lines)


@table("nano-after-layernorm", "benchmarks/README.md", ("after_layernorm_change/nano_float32_int8.json",))
def nano_after_layernorm_table(records):
    lines = _header("model", "threads", "runs", "median ms", "min ms", "peak MB", "dense ref. GMAC/s", "roofline")
    for label, row, reference in _nano_rows(records[records.paths[0]]):
        lines.append(
            _row(
                label,
                row["threads"],
                row["runs"],
                f"{row['median_ms']:.1f}",
                f"{row['min_ms']:.1f}",
                round(row["peak_memory_mb"]),
                "" if reference is None else f"{reference['gmacs_per_s']:.1f}",
                _roofline(row),
            )
        )
    return _with_sources("benchmarks/README.md", records, lines)


# Reading and writing the pages


def render(name, results=RESULTS):
    """The body of block NAME (the lines between its markers), from the records in `results`."""
    spec = TABLES[name]
    lines = spec.write(Records(results, table_records(spec, results)))
    return "\n".join(lines) + "\n"


def pages(repo=REPO):
    found = []
    for pattern in PAGES:
        found += sorted(pathlib.Path(repo).glob(pattern))
    return found


def update(repo=REPO, results=RESULTS, check=False):
    """Rewrites (or, with check, compares) every block; returns the problems, one line each."""
    repo = pathlib.Path(repo)
    problems, seen = [], set()
    for page in pages(repo):
        text = page.read_text()
        relative = page.relative_to(repo).as_posix()

        def replace(match, relative=relative):
            name, body = match.group(1), match.group(2)
            if name not in TABLES:
                problems.append(f"{relative}: block figures:{name} has no table in tools/make_figures.py")
                return match.group(0)
            if TABLES[name].page != relative:
                problems.append(f"{relative}: block figures:{name} belongs to {TABLES[name].page}")
                return match.group(0)
            if name in seen:
                problems.append(f"{relative}: block figures:{name} appears twice")
            seen.add(name)
            expected = render(name, results)
            if body != expected and check:
                problems.append(f"{relative}: block figures:{name} differs from its records (run `make figures`)")
            return f"<!-- figures:{name} -->\n{expected}<!-- /figures:{name} -->"

        new = BLOCK.sub(replace, text)
        if not check and new != text:
            page.write_text(new)
    for name in sorted(set(TABLES) - seen):
        problems.append(f"{TABLES[name].page}: block figures:{name} is missing (add its two marker lines)")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 naming each block that differs; write nothing")
    args = parser.parse_args(argv)
    problems = update(check=args.check)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
