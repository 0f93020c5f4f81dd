"""Where do the int8 stream file's top-1 flips come from? Low-margin predictions or quantization error.

Streams every synthetic test clip through the float32 and the int8 stream files
of a causal student (the float32 file equals the Keras streaming model to 1e-4,
tests/export/test_export_stream.py), then separates the causes of each
last-frame flip (int8 top-1 != float top-1):

- margin: the float logit gap between the top two classes, for flipped and
  kept clips, against the int8 file's logit error;
- logits output: the float logits rounded to the int8 output tensor's grid
  (a tie on that grid flips the argmax by itself);
- states: the float32 file run with every state rounded to its int8 tensor's
  grid at every step (the states' precision alone);
- per step vs carried: the int8 file fed, at every step, the float32 file's
  states (quantized) instead of its own (the error of one step, not carried).

    PYTHONPATH=. python experiments/stream_int8_diagnosis.py runs/stream_student/causal_student_stream_float32.tflite \\
        runs/stream_student/causal_student_stream_int8.tflite --save-json runs/stream_student/diagnosis.json
"""

import argparse
import json
import os

import numpy as np


def _fake_quant(values, detail):
    from dvfl_tf.runtime.interpreter import dequantize_from, quantize_to

    return dequantize_from(quantize_to(values, detail), detail)


def diagnose(float_path, int8_path, limit=None):
    from dvfl_tf.apps import quickstart
    from dvfl_tf.export.calibration import clips_from_videos, dataset_split
    from dvfl_tf.runtime import TFLiteStreamClassifier
    from dvfl_tf.runtime.interpreter import quantize_to

    floats, int8 = TFLiteStreamClassifier(float_path), TFLiteStreamClassifier(int8_path)
    tubelet = floats.tubelet_size
    options = quickstart._data_options()  # the synthetic benchmark's options
    test, _, _ = dataset_split(options.dataset, options.data_root, "test")
    clips, labels, _ = clips_from_videos(test, floats.num_frames, floats.frame_shape[0], limit=limit)
    labels = np.asarray(labels)
    state_details = int8._state_inputs  # this file's own quantization, in the stream order

    def run_float(clip, quantize_states):
        logits, all_states = [], []
        floats.reset()
        for start in range(0, len(clip), tubelet):
            if quantize_states:
                floats._states = [_fake_quant(s, d) for s, d in zip(floats._states, state_details)]
            all_states.append(list(floats._states))
            logits.append(floats.step_logits(clip[start : start + tubelet]))
        return np.stack(logits), all_states

    def run_int8_forced(clip, float_states):
        """The int8 file with the float file's states (quantized) at every step."""
        logits = []
        int8.reset()
        for step, start in enumerate(range(0, len(clip), tubelet)):
            int8._states = [quantize_to(s, d) for s, d in zip(float_states[step], state_details)]
            logits.append(int8.step_logits(clip[start : start + tubelet]))
        return np.stack(logits)

    rows = {"float": [], "float_quantized_states": [], "int8": [], "int8_forced_states": []}
    for clip in clips:
        clip = np.asarray(clip, np.float32)
        float_logits, float_states = run_float(clip, quantize_states=False)
        rows["float"].append(float_logits)
        rows["float_quantized_states"].append(run_float(clip, quantize_states=True)[0])
        rows["int8"].append(int8.stream_clip_logits(clip))
        rows["int8_forced_states"].append(run_int8_forced(clip, float_states))
    logits = {key: np.stack(value) for key, value in rows.items()}  # (clips, steps, classes)
    last = {key: value[:, -1] for key, value in logits.items()}
    top1 = {key: value.argmax(-1) for key, value in last.items()}
    reference = top1["float"]
    ordered = np.sort(last["float"], axis=-1)
    margin = ordered[:, -1] - ordered[:, -2]
    flipped = top1["int8"] != reference
    output_detail = int8._logits_output
    logits_on_output_grid = _fake_quant(last["float"], output_detail).argmax(-1)
    error = np.abs(last["int8"] - last["float"]).max(-1)
    result = {
        "float32_file": float_path,
        "int8_file": int8_path,
        "test_clips": len(clips),
        "float_top1": float(np.mean(reference == labels)),
        "int8_top1": float(np.mean(top1["int8"] == labels)),
        "agreement_with_float_last_frame": {
            "int8 file": float(np.mean(~flipped)),
            "int8 file, float states fed at every step": float(np.mean(top1["int8_forced_states"] == reference)),
            "float model, states rounded to their int8 grid": float(
                np.mean(top1["float_quantized_states"] == reference)
            ),
            "float logits rounded to the int8 output grid": float(np.mean(logits_on_output_grid == reference)),
        },
        "logits_output_scale": float(output_detail["quantization"][0]),
        "float_margin_median_all": float(np.median(margin)),
        "float_margin_flipped": [round(float(m), 4) for m in margin[flipped]],
        "int8_max_logit_error_median": float(np.median(error)),
        "int8_max_logit_error_flipped": [round(float(e), 4) for e in error[flipped]],
        "clips_with_margin_below_median_error": float(np.mean(margin < np.median(error))),
        "flipped_clips_correct_in_float": int(np.sum(flipped & (reference == labels))),
        "flipped_clips_correct_in_int8": int(np.sum(flipped & (top1["int8"] == labels))),
        "state_scales": {
            entry["name"]: float(d["quantization"][0]) for entry, d in zip(int8.metadata["inputs"][2:], state_details)
        },
    }
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("float_file", help="the float32 stream file (.tflite)")
    parser.add_argument("int8_file", help="its int8 stream file (.tflite)")
    parser.add_argument("--limit", type=int, default=None, help="at most this many test clips")
    parser.add_argument("--save-json", default=None)
    args = parser.parse_args()
    for path in (args.float_file, args.int8_file):
        if not os.path.isfile(path):
            parser.error(f"file not found: {path}")
    result = diagnose(args.float_file, args.int8_file, args.limit)
    print(f"{result['test_clips']} test clips: float top-1 {result['float_top1']:.3f}, int8 {result['int8_top1']:.3f}")
    for name, value in result["agreement_with_float_last_frame"].items():
        print(f"  top-1 agreement with the float stream, {name}: {value:.3f}")
    print(
        f"  float top-2 margin: median {result['float_margin_median_all']:.3f} over all clips; flipped clips "
        f"{result['float_margin_flipped']}"
    )
    print(
        f"  int8 max |logit error|: median {result['int8_max_logit_error_median']:.3f}; flipped clips "
        f"{result['int8_max_logit_error_flipped']}; logits output scale {result['logits_output_scale']:.4f}"
    )
    if args.save_json:
        with open(args.save_json, "w") as f:
            json.dump(result, f, indent=2)
        print(f"wrote {args.save_json}")


if __name__ == "__main__":
    main()
