"""`check_data`: index a dataset and fully decode every video before a long run."""

from concurrent.futures import ThreadPoolExecutor

from dvfl_tf.data.datasets import load_index
from dvfl_tf.data.video_io import VideoDecodeError, probe_video


def check_data(dataset, data_root, split=None, split_dir=None, decode=True, workers=2, progress=False, index=None,
               **index_kwargs):
    """A JSON-ready report: `num_classes`, per-split video counts, and `problems`
    (a list of `{"path", "reason"}`: videos missing from disk or failing to decode,
    malformed split-file lines). Layout errors (a missing split file or class
    folder, an empty split) raise `DatasetError` instead.
    """
    if index is None:
        index = load_index(dataset, data_root, split=split, split_dir=split_dir, **index_kwargs)
    problems = list(index.problems)
    unique_paths = sorted({record.path for records in index.splits.values() for record in records})
    bad = {}
    if decode and unique_paths:
        from tqdm import tqdm

        def probe(path):
            try:
                probe_video(path)
                return path, None
            except VideoDecodeError as error:
                return path, error.reason

        # OpenCV releases the GIL while decoding, so threads check videos in parallel.
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            results = pool.map(probe, unique_paths)
            for path, reason in tqdm(results, total=len(unique_paths), desc="check-data", unit="video",
                                     disable=None if progress else True):  # None: terminal only
                if reason is not None:
                    bad[path] = reason
                    problems.append({"path": path, "reason": reason})
    splits = {}
    for name, records in index.splits.items():
        usable = sum(1 for record in records if record.path not in bad)
        splits[name] = {"videos": len(records), "usable": usable}
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
    }
    missing = getattr(index, "missing_clips", None)
    if missing is not None:
        report["missing_clips"] = missing
    return report
