"""`dvfl-tf benchmark`: latency and memory of models on the host, an Android phone or an Edge TPU."""

import click

from dvfl_tf.cli.options import range_type
from dvfl_tf.latency.records import TARGETS, TIMING_DEFAULTS, TIMING_RANGES


def _int_list(ctx, param, value):
    try:
        numbers = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise click.BadParameter(f"expected comma-separated integers, e.g. 1,2,4. Received: {value!r}") from None
    if not numbers or any(n < 1 for n in numbers):
        raise click.BadParameter(f"expected positive integers. Received: {value!r}")
    return numbers


def _timing_option(name, help):
    """--runs / --warmup: default and range of the library's (`latency.records`)."""
    allowed = range_type(TIMING_RANGES[name])
    return click.option(f"--{name}", default=TIMING_DEFAULTS[name], show_default=True, type=allowed, help=help)


@click.command("benchmark")
@click.argument("models", nargs=-1, type=click.Path())
@click.option("--target", type=click.Choice(TARGETS), default="host", show_default=True)
@click.option("--threads", default="1", callback=_int_list, show_default=True, help="Comma-separated, e.g. 1,2,4.")
@click.option(
    "--delegate",
    "delegates",
    multiple=True,
    help="host: xnnpack (default), builtin (XNNPACK off); android: xnnpack, builtin, gpu, nnapi. Repeatable.",
)
@_timing_option("runs", "Timed runs.")
@_timing_option("warmup", "Warm-up runs before timing.")
@click.option("--roofline", is_flag=True, help="Also time a dense-only model of the same MACs; report the fraction.")
@click.option(
    "--int8-speedup",
    is_flag=True,
    help="host: time all files and an int8 and a float32 dense reference per MAC count in one process; "
    "report each quantized file's speed-up over its float32 twin (same MACs) next to the dense one, "
    "its time share in XNNPACK-delegated ops and its XNNPACK partitions.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the records as a JSON list.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), help="Also write the records to this CSV file.")
@click.option("--save-json", "json_path", type=click.Path(dir_okay=False), help="Also write the records as JSON.")
@click.option("--serial", help="android: the device serial (adb -s).")
@click.option("--adb", default="adb", show_default=True, help="android: the adb executable.")
@click.option("--benchmark-binary", type=click.Path(), help="android: TFLite's benchmark_model built for the device.")
@click.option("--benchmark-apk", type=click.Path(), help="android: the benchmark APK instead of the binary.")
@click.option("--taskset", help="android: CPU affinity mask for `taskset`, e.g. f0 for the big cores.")
@click.option("--op-profile", is_flag=True, help="host: time every op on its own; print time per op type and layer.")
@click.option("--compare", "compare", is_flag=True, help="Treat the arguments as result files; print a table and plot.")
@click.option(
    "--eval-report", "eval_reports", multiple=True, type=click.Path(), help="--compare: evaluation JSON (top1)."
)
@click.option("--plots-dir", type=click.Path(file_okay=False), help="--compare: where to write the PNG plots.")
@click.option("--overwrite", is_flag=True, help="Replace existing --csv / --save-json files.")
def benchmark(models, **options):
    """Benchmark MODELS (.tflite, or .keras on the host) on --target; or --compare result files.

    One record per (model, target, threads, delegate): init, first, mean,
    median, p90, min and std latency in ms, peak memory in MB.
    """
    if not models:
        raise click.UsageError("Give at least one model file (or result files with --compare).")
    _check_outputs(models, options)
    if options["compare"]:
        _compare(models, options)
    elif options["int8_speedup"]:
        _int8_speedup(models, options)
    elif options["op_profile"]:
        _op_profile(models, options)
    else:
        _latency(models, options)


def _check_outputs(models, o):
    """The files and folder the run will write, checked before any timing."""
    from dvfl_tf.core.io_safety import check_output, check_writable_dir

    inputs = tuple(models) + tuple(o["eval_reports"])
    if o["csv_path"]:
        check_output(o["csv_path"], overwrite=o["overwrite"], inputs=inputs, suffixes=(".csv",), option="--csv")
    if o["json_path"]:
        check_output(o["json_path"], overwrite=o["overwrite"], inputs=inputs, suffixes=(".json",), option="--save-json")
    if o["plots_dir"]:
        check_writable_dir(o["plots_dir"], shown=f"--plots-dir {o['plots_dir']}")


def _compare(models, o):
    from dvfl_tf.latency.compare import compare_results

    table, plots = compare_results(list(models), eval_reports=list(o["eval_reports"]), plots_dir=o["plots_dir"])
    click.echo(table)
    for path in plots:
        click.echo(f"wrote {path}")


def _int8_speedup(models, o):
    if o["target"] != "host":
        raise click.UsageError("--int8-speedup is measured on the host (--target host) only.")
    if o["csv_path"]:
        raise click.UsageError("--int8-speedup writes a JSON report: use --save-json or --json, not --csv.")
    if o["delegates"] and set(o["delegates"]) != {"xnnpack"}:
        raise click.UsageError("--int8-speedup times the files with XNNPACK (the default delegate) only.")
    import json

    from dvfl_tf.core.io_safety import atomic_write_json
    from dvfl_tf.latency.int8_speedup import format_int8_speedup, measure_int8_speedup

    report = measure_int8_speedup(
        list(models),
        threads=o["threads"],
        runs=o["runs"],
        warmup=o["warmup"],
        log=lambda line: click.echo(line, err=True),
    )
    if o["json_path"]:
        atomic_write_json(o["json_path"], report)
    click.echo(json.dumps(report, indent=2) if o["as_json"] else format_int8_speedup(report))


def _op_profile(models, o):
    from dvfl_tf.latency.op_profile import format_profile, profile_ops

    for path in models:
        for count in o["threads"]:
            click.echo(f"== {path}, {count} thread(s), XNNPACK ==")
            click.echo(format_profile(profile_ops(path, threads=count, runs=o["runs"], warmup=o["warmup"])))


ANDROID_OPTIONS = ("benchmark_binary", "benchmark_apk", "serial", "adb", "taskset")


def _latency(models, o):
    from dvfl_tf.latency.compare import format_table
    from dvfl_tf.latency.harness import run_benchmarks
    from dvfl_tf.latency.records import records_to_json, save_csv, save_json

    android = {name: o[name] for name in ANDROID_OPTIONS} if o["target"] == "android" else {}
    records = run_benchmarks(
        list(models),
        target=o["target"],
        threads=o["threads"],
        delegates=tuple(o["delegates"]) or None,
        runs=o["runs"],
        warmup=o["warmup"],
        roofline=o["roofline"],
        **android,
    )
    if o["csv_path"]:
        save_csv(records, o["csv_path"])
    if o["json_path"]:
        save_json(records, o["json_path"])
    click.echo(records_to_json(records) if o["as_json"] else format_table(records))
