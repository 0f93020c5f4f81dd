"""`check_data`: index a dataset and fully decode every video before a long run."""

from concurrent.futures import ThreadPoolExecutor

from tqdm import tqdm

from dvfl_tf.data.cache_settings import CACHE_DEFAULTS, WORKERS
from dvfl_tf.data.datasets import load_index
from dvfl_tf.data.video_io import VideoDecodeError, open_video, probe_video

# The kinds of problem, in the order the summary lists them.
PROBLEM_KINDS = ("missing", "unreadable", "unparsable", "other")


def problem_kind(problem):
    """missing (listed, not on disk), unreadable (does not decode), unparsable (a split-file line), other."""
    if problem.get("kind"):
        return problem["kind"]
    reason = problem.get("reason", "")
    if "missing on disk" in reason or reason == "file not found":
        return "missing"
    if reason.startswith("line "):
        return "unparsable"
    return "other"


def _undecodable(paths, decode, workers, progress):
    """{path: reason} of the videos that fail `probe_video` (decode=True) or `open_video` ("open"), in path order."""
    check = probe_video if decode is True else open_video

    def probe(path):
        try:
            check(path)
            return path, None
        except VideoDecodeError as error:
            return path, error.reason

    bad = {}
    # OpenCV releases the GIL while decoding, so threads check videos in parallel.
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        results = pool.map(probe, paths)
        for path, reason in tqdm(
            results, total=len(paths), desc="check-data", unit="video", disable=None if progress else True
        ):  # None: terminal only
            if reason is not None:
                bad[path] = reason
    return bad


def _usable_per_split(index, bad):
    """Per split, the video counts ({"videos", "usable"}) and the classes left without a usable video."""
    splits, empty_classes = {}, {}
    for name, records in index.splits.items():
        usable = [record for record in records if record.path not in bad]
        splits[name] = {"videos": len(records), "usable": len(usable)}
        labels = {record.label for record in usable}
        empty = [class_name for label, class_name in enumerate(index.class_names) if label not in labels]
        if empty:
            empty_classes[name] = empty
    return splits, empty_classes


def check_data(
    dataset,
    data_root,
    split=None,
    split_dir=None,
    decode=True,
    workers=CACHE_DEFAULTS["workers"],
    progress=False,
    index=None,
    **index_kwargs,
):
    """A JSON-ready report: `num_classes`, per-split video counts, `problems`
    (a list of `{"path", "reason", "kind"}`: videos missing from disk or failing
    to decode, malformed split-file lines) and `empty_classes` (per split, the
    classes left without a usable video). Layout errors (a missing split file or
    class folder, an empty split) raise `DatasetError` instead.

    `decode`: True decodes every video fully (finds truncated files), "open"
    only opens each and reads its first frame (fast enough for the start of a
    run), False checks nothing beyond the index.
    """
    WORKERS.check("workers", workers)
    if index is None:
        index = load_index(dataset, data_root, split=split, split_dir=split_dir, **index_kwargs)
    problems = list(index.problems)
    unique_paths = sorted({record.path for records in index.splits.values() for record in records})
    bad = _undecodable(unique_paths, decode, workers, progress) if decode and unique_paths else {}
    for path, reason in bad.items():
        problems.append(
            {"path": path, "reason": reason, "kind": "missing" if reason == "file not found" else "unreadable"}
        )
    for problem in problems:
        problem["kind"] = problem_kind(problem)
    splits, empty_classes = _usable_per_split(index, bad)
    report = {
        "dataset": index.name,
        "data_root": None if data_root is None else str(data_root),
        "split": split,
        "num_classes": index.num_classes,
        "class_names": index.class_names,
        "splits": splits,
        "num_videos": len(unique_paths),
        "num_problems": len(problems),
        "problems": problems,
        "empty_classes": empty_classes,
        "unreadable": sorted(bad),
    }
    missing = getattr(index, "missing_clips", None)
    if missing is not None:
        report["missing_clips"] = missing
    return report


def summary_lines(report, max_listed=20):
    """The human summary of a `check_data` report (check-data prints it; so do train, distill, evaluate...)."""
    lines = [f"dataset {report['dataset']}: {report['num_classes']} classes, {report['num_videos']} videos"]
    for name, counts in report["splits"].items():
        lines.append(f"  {name}: {counts['videos']} videos, {counts['usable']} usable")
    if "missing_clips" in report:
        lines.append(f"  missing clips: {report['missing_clips']}")
    counts = {kind: sum(1 for p in report["problems"] if problem_kind(p) == kind) for kind in PROBLEM_KINDS}
    lines.append(
        f"problems: {report['num_problems']} ("
        + ", ".join(f"{counts[kind]} {kind}" for kind in PROBLEM_KINDS if kind != "other" or counts[kind])
        + ")"
    )
    for problem in report["problems"][:max_listed]:
        lines.append(f"  {problem_kind(problem)}: {problem['path']}: {problem['reason']}")
    if len(report["problems"]) > max_listed:
        lines.append(f"  ... and {len(report['problems']) - max_listed} more (dvfl-tf check-data lists them all)")
    for name, classes in report.get("empty_classes", {}).items():
        lines.append(f"empty classes in {name}: {', '.join(classes)}")
    return lines
