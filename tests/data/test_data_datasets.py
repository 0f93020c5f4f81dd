import csv
import os

import pytest

from dvfl_tf.data.datasets import DatasetError, VideoRecord, load_index


def _write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(text)


def _names(records):
    return sorted((os.path.basename(r.path), r.label) for r in records)


def test_hmdb51_tags_and_sorted_classes(hmdb51_tree):
    index = load_index("hmdb51", hmdb51_tree)
    assert index.class_names == ["brush_hair", "cartwheel", "catch"]
    assert _names(index.records("train")) == sorted(
        (f"{c}_video_{i}.avi", label) for label, c in enumerate(index.class_names) for i in (0, 1)
    )
    assert _names(index.records("test")) == sorted(
        (f"{c}_video_2.avi", label) for label, c in enumerate(index.class_names)
    )
    assert index.problems == []
    split2 = load_index("hmdb51", hmdb51_tree, split=2)
    assert len(split2.records("train")) == 9 and len(split2.records("test")) == 3
    with pytest.raises(DatasetError, match="split=4"):
        load_index("hmdb51", hmdb51_tree, split=4)


def test_hmdb51_custom_split_dir_and_missing_video(hmdb51_tree, tmp_path):
    moved = tmp_path / "my_splits"
    os.rename(os.path.join(hmdb51_tree, "testTrainMulti_7030_splits"), moved)
    with pytest.raises(DatasetError, match="testTrainMulti_7030_splits"):
        load_index("hmdb51", hmdb51_tree)
    os.remove(os.path.join(hmdb51_tree, "catch", "catch_video_0.avi"))
    index = load_index("hmdb51", hmdb51_tree, split_dir=str(moved))
    assert len(index.records("train")) == 5
    assert index.problems == [
        {
            "path": os.path.join(hmdb51_tree, "catch", "catch_video_0.avi"),
            "reason": "listed in the split file but missing on disk",
        }
    ]


def test_hmdb51_missing_class_folder_and_empty_split_are_errors(hmdb51_tree, helpers, tmp_path):
    os.rename(os.path.join(hmdb51_tree, "catch"), os.path.join(hmdb51_tree, "renamed"))
    with pytest.raises(DatasetError, match=os.path.join(hmdb51_tree, "catch")):
        load_index("hmdb51", hmdb51_tree)
    root = str(tmp_path / "empty_test")
    helpers.make_hmdb51_tree(root, classes=("a",), per_class=2)
    _write(os.path.join(root, "testTrainMulti_7030_splits", "a_test_split1.txt"), "a_video_0.avi 1\na_video_1.avi 0\n")
    with pytest.raises(DatasetError, match="'test' .*empty"):
        load_index("hmdb51", root)


def test_unknown_split_name_is_clear(hmdb51_tree):
    index = load_index("hmdb51", hmdb51_tree)
    with pytest.raises(DatasetError, match="no split 'validation'.*'test', 'train'"):
        index.records("validation")
    with pytest.raises(DatasetError, match="Unknown dataset"):
        load_index("hmdb52", hmdb51_tree)


def test_ucf101_official_lists_with_case_mismatch(tmp_path, helpers):
    root = str(tmp_path / "ucf")
    classes = ["ApplyEyeMakeup", "HandstandPushups"]
    for c in classes:
        # The official lists spell this class "HandStandPushups"; files inside follow the lists.
        file_class = "HandStandPushups" if c == "HandstandPushups" else c
        for g in (1, 8):
            helpers.write_marker_video(os.path.join(root, "UCF-101", c, f"v_{file_class}_g{g:02d}_c01.avi"), 4)
    lists = os.path.join(root, "ucfTrainTestlist")
    _write(os.path.join(lists, "classInd.txt"), "1 ApplyEyeMakeup\n2 HandstandPushups\n")
    for n in (1, 2, 3):
        _write(
            os.path.join(lists, f"trainlist0{n}.txt"),
            "ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1\nHandStandPushups/v_HandStandPushups_g08_c01.avi 2\n",
        )
        _write(
            os.path.join(lists, f"testlist0{n}.txt"),
            "ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi\nHandStandPushups/v_HandStandPushups_g01_c01.avi\n",
        )
    index = load_index("ucf101", root, split=2)
    assert index.class_names == classes
    assert _names(index.records("train")) == [
        ("v_ApplyEyeMakeup_g08_c01.avi", 0),
        ("v_HandStandPushups_g08_c01.avi", 1),
    ]
    assert _names(index.records("test")) == [("v_ApplyEyeMakeup_g01_c01.avi", 0), ("v_HandStandPushups_g01_c01.avi", 1)]
    assert all(os.path.isfile(r.path) for r in index.records("test"))
    os.remove(os.path.join(lists, "testlist02.txt"))
    with pytest.raises(DatasetError, match="testlist02.txt"):
        load_index("ucf101", root, split=2)


def test_ucf50_leave_one_group_out(tmp_path, helpers):
    root = str(tmp_path / "ucf50")
    for c in ("Basketball", "BaseballPitch"):
        for g in (1, 2, 3):
            for clip in (1, 2):
                helpers.write_marker_video(os.path.join(root, c, f"v_{c}_g{g:02d}_c{clip:02d}.avi"), 4)
    helpers.write_marker_video(os.path.join(root, "Basketball", "badname.avi"), 4)
    index = load_index("ucf50", root, split=2)
    assert index.class_names == ["BaseballPitch", "Basketball"]
    test = index.records("test")
    assert len(test) == 4 and all("_g02_" in r.path for r in test)
    assert len(index.records("train")) == 8 and not any("_g02_" in r.path for r in index.records("train"))
    assert [p["path"] for p in index.problems] == [os.path.join(root, "Basketball", "badname.avi")]
    with pytest.raises(DatasetError, match="'test' of 'ucf50' is empty"):
        load_index("ucf50", root, split=9)


def test_ssv2_templates_without_brackets_and_webm(tmp_path, helpers):
    root = str(tmp_path / "ssv2")
    templates = [
        "Pushing something from left to right",
        "Pushing something from right to left",
        "Putting something on a surface",
    ]
    helpers.write_json(
        os.path.join(root, "something-something-v2-labels.json"), {t: str(i) for i, t in enumerate(templates)}
    )
    train = [
        {
            "id": "11",
            "label": "pushing a cup from left to right",
            "template": "Pushing [something] from left to right",
            "placeholders": ["a cup"],
        },
        {"id": "12", "template": "Putting [something] on a surface"},
    ]
    validation = [
        {"id": "21", "template": "Pushing [something] from right to left"},
        {"id": "22", "template": "Pushing [something] from right to left"},
    ]  # 22 missing on disk
    helpers.write_json(os.path.join(root, "something-something-v2-train.json"), train)
    helpers.write_json(os.path.join(root, "something-something-v2-validation.json"), validation)
    for vid in ("11", "12", "21"):
        helpers.write_marker_video(os.path.join(root, "20bn-something-something-v2", f"{vid}.webm"), 4)
    index = load_index("ssv2", root)
    assert index.class_names == templates
    assert _names(index.records("train")) == [("11.webm", 0), ("12.webm", 2)]
    assert _names(index.records("validation")) == [("21.webm", 1)]
    assert len(index.problems) == 1 and index.problems[0]["path"].endswith("22.webm")


def test_kinetics400_csv_with_and_without_class_folders_and_missing_clips(tmp_path, helpers):
    root = str(tmp_path / "k400")
    rows = [
        ("abseiling", "aaa", 14, 24, "train"),
        ("zumba", "bbb", 0, 10, "train"),
        ("zumba", "ccc", 3.0, 13.0, "val"),
        ("abseiling", "ddd", 5, 15, "val"),
    ]
    os.makedirs(os.path.join(root, "annotations"))
    for split in ("train", "val"):
        with open(os.path.join(root, "annotations", f"{split}.csv"), "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["label", "youtube_id", "time_start", "time_end", "split"])
            writer.writerows(r for r in rows if r[4] == split)
    # train: class subfolders; val: flat; clip ddd is missing.
    helpers.write_marker_video(os.path.join(root, "train", "abseiling", "aaa_000014_000024.mp4"), 4)
    helpers.write_marker_video(os.path.join(root, "train", "zumba", "bbb_000000_000010.mp4"), 4)
    helpers.write_marker_video(os.path.join(root, "val", "ccc_000003_000013.mp4"), 4)
    index = load_index("kinetics400", root)
    assert index.class_names == ["abseiling", "zumba"]
    assert _names(index.records("train")) == [("aaa_000014_000024.mp4", 0), ("bbb_000000_000010.mp4", 1)]
    assert _names(index.records("val")) == [("ccc_000003_000013.mp4", 1)]
    assert index.missing_clips == 1 and index.problems[0]["reason"] == "missing clip"


def test_list_files_csv_names_and_space_ints(tmp_path, helpers):
    root = str(tmp_path / "lists")
    for name in ("a/x.avi", "a/y.avi", "b/z.avi"):
        helpers.write_marker_video(os.path.join(root, name), 4)
    _write(os.path.join(root, "train.csv"), "path,label\na/x.avi,walk\nb/z.avi,run\n")
    _write(os.path.join(root, "val.csv"), "a/y.avi,walk\n")
    index = load_index("list", root)
    assert index.class_names == ["run", "walk"]
    assert _names(index.records("train")) == [("x.avi", 1), ("z.avi", 0)]
    _write(os.path.join(tmp_path, "l", "tr.txt"), "a/x.avi 2\nb/z.avi 0\n")
    _write(os.path.join(tmp_path, "l", "names.txt"), "1 run\n2 jump\n3 walk\n")
    index = load_index(
        "list",
        root,
        lists={"train": str(tmp_path / "l" / "tr.txt")},
        class_names_file=str(tmp_path / "l" / "names.txt"),
    )
    assert index.class_names == ["run", "jump", "walk"]
    assert _names(index.records("train")) == [("x.avi", 2), ("z.avi", 0)]


def test_folder_layout(tmp_path, helpers):
    root = str(tmp_path / "folder")
    helpers.write_marker_video(os.path.join(root, "train", "cat", "1.mp4"), 4)
    helpers.write_marker_video(os.path.join(root, "train", "dog", "2.webm"), 4)
    helpers.write_marker_video(os.path.join(root, "val", "dog", "3.mkv"), 4)
    index = load_index("folder", root)
    assert index.class_names == ["cat", "dog"] and sorted(index.splits) == ["train", "val"]
    assert _names(index.records("val")) == [("3.mkv", 1)]
    assert VideoRecord(os.path.join(root, "train", "cat", "1.mp4"), 0) in index.records("train")


def test_dvfl_net_csvs_with_header_absolute_paths_and_label_offset(tmp_path, helpers):
    root = str(tmp_path / "dvfl")
    paths = [os.path.join(root, "train", c, f"{c}_{i}.avi") for c in ("BaseballPitch", "Basketball") for i in (0, 1)]
    for path in paths:
        helpers.write_marker_video(path, 4)
    # csv_writer.py: a header, absolute paths, class folders numbered from 2.
    _write(
        os.path.join(root, "train.csv"),
        "Video Path,Directory Number\n" + "".join(f"{p},{2 + (i // 2)}\n" for i, p in enumerate(paths)),
    )
    _write(os.path.join(root, "labels.csv"), "id,name\n1,Basketball\n0,BaseballPitch\n")
    index = load_index("list", root, class_names_file=os.path.join(root, "labels.csv"), label_offset=2)
    assert index.class_names == ["BaseballPitch", "Basketball"]
    assert [(r.path, r.label) for r in index.records("train")] == [(p, i // 2) for i, p in enumerate(paths)]
