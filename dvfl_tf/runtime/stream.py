"""`TFLiteStreamClassifier`: runs an exported stream `.tflite` frame by frame, without TensorFlow.

A stream file (`dvfl-tf export-tflite --stream`) takes the newest frame (or
tubelet), `frame_weight` and its states, and returns the logits for the frames
so far and the new states. Its metadata names every input and output tensor in
order; this class feeds frames, carries the states from one step to the next
(in the file's own quantized form), and resets them for a new video.
"""

import os
import time

import cv2
import numpy as np

from dvfl_tf.core.checks import at_least, check_ranges
from dvfl_tf.core.errors import ModelFileError, first_line
from dvfl_tf.core.model_files import check_tflite_file
from dvfl_tf.core.quiet import native_stderr_hidden
from dvfl_tf.data.clip_views import center_crop_clip
from dvfl_tf.runtime.interpreter import RuntimeNotFoundError, dequantize_from, make_interpreter, quantize_to
from dvfl_tf.runtime.model_metadata import load_metadata
from dvfl_tf.runtime.preprocessing import resize_size_from_metadata, softmax
from dvfl_tf.runtime.tflite_classifier import STREAM_FORMAT, VideoClassifier

# The allowed values of the stream settings (predict --stream takes its option types from them): the steps
# averaged (None: every step so far), every `stride`-th frame fed, at most `max_frames` decoded (None: all).
STREAM_RANGES = {"horizon": at_least(1), "stride": at_least(1), "max_frames": at_least(1)}


class NotAStreamModelError(ValueError):
    pass


def _details_by_name(details):
    return {detail["name"]: detail for detail in details}


class TFLiteStreamClassifier(VideoClassifier):
    """A stream `.tflite` file, ready to classify frames as they arrive.

    `step(frames)` runs one step on the newest tubelet (tubelet_size, H, W, 3)
    of raw RGB and returns the logits for everything seen since the last
    `reset()`. `push_frame(frame)` takes any decoded RGB frame, resizes and
    centre-crops it (the evaluation view) and runs a step once a tubelet is complete.

    Args:
        path: the stream `.tflite` file.
        labels_path: optional labels file overriding the names stored in the model.
        num_threads: interpreter threads (None = the runtime's default).
        horizon: None: the logits average every step since `reset()` (the causal
            clip model's function). N: after N steps the new step keeps weight 1 / N,
            an exponential moving average over about the last N steps, for endless streams.
    """

    def __init__(self, path, labels_path=None, num_threads=None, horizon=None):
        path = os.fspath(path)
        if not os.path.exists(path):
            raise FileNotFoundError(f"No such model file: {path}")
        STREAM_RANGES["horizon"].check("horizon", horizon)
        self.path = check_tflite_file(path)
        self.horizon = horizon
        try:
            self.metadata = load_metadata(path)
        except Exception as error:  # a truncated flatbuffer fails while its metadata is read
            raise ModelFileError(f"{path}: damaged .tflite model ({first_line(error)})") from error
        if self.metadata.get("format") != STREAM_FORMAT:
            raise NotAStreamModelError(
                f"{path} is not a stream model (export one with `dvfl-tf export-tflite --stream`)."
            )
        try:
            self.interpreter = make_interpreter(model_path=path, num_threads=num_threads)
        except RuntimeNotFoundError:
            raise
        except Exception as error:  # LiteRT raises ValueError/RuntimeError for a damaged flatbuffer
            raise ModelFileError(f"{path}: damaged .tflite model ({first_line(error)})") from error
        inputs = _details_by_name(self.interpreter.get_input_details())
        outputs = _details_by_name(self.interpreter.get_output_details())
        try:
            self._inputs = [inputs[entry["tensor"]] for entry in self.metadata["inputs"]]
            self._outputs = [outputs[entry["tensor"]] for entry in self.metadata["outputs"]]
        except KeyError as error:
            raise ValueError(f"{path}: the metadata names a tensor the model lacks: {error}") from None
        self._frames_input, self._weight_input, *self._state_inputs = self._inputs
        self._logits_output, *self._state_outputs = self._outputs
        if len(self._state_inputs) != len(self._state_outputs):
            raise ValueError(
                f"{path}: the metadata lists {len(self._state_inputs)} state inputs but "
                f"{len(self._state_outputs)} state outputs"
            )
        self.tubelet_size = int(self.metadata["tubelet_size"])
        self.num_frames = int(self.metadata["num_frames"])
        self.frame_shape = tuple(self.metadata["image_size"])
        self.num_classes = int(self._logits_output["shape"][-1])
        self._set_class_names(labels_path, self.metadata.get("class_names"))
        self.short_side = resize_size_from_metadata(self.metadata, self.frame_shape[0])
        # A state output goes back in unchanged when both tensors share scale and zero point.
        self._same_quantization = [
            a["dtype"] == b["dtype"] and tuple(a["quantization"]) == tuple(b["quantization"])
            for a, b in zip(self._state_outputs, self._state_inputs, strict=True)
        ]
        self.reset()

    @property
    def state_names(self):
        return [entry["name"] for entry in self.metadata["inputs"][2:]]

    def reset(self):
        """Forgets every frame: zero states (each in its tensor's own quantization), step count 0."""
        self._states = [quantize_to(np.zeros(d["shape"], np.float32), d) for d in self._state_inputs]
        self.steps = 0
        self._pending = []

    def _frame_weight(self):
        count = self.steps if self.horizon is None else min(self.steps, self.horizon)
        return np.full((1, 1), 1.0 / count, np.float32)

    def step_logits(self, frames):
        """Logits (num_classes,) after one more tubelet (tubelet_size, H, W, 3) of raw RGB."""
        frames = np.asarray(frames, np.float32)
        expected = (self.tubelet_size,) + self.frame_shape + (3,)
        if frames.shape != expected:
            raise ValueError(f"frames must have shape {expected}. Received: shape={frames.shape}")
        self.steps += 1
        interpreter = self.interpreter
        stacked = frames.reshape(self._frames_input["shape"])  # tubelet frames stacked vertically: same bytes
        interpreter.set_tensor(self._frames_input["index"], quantize_to(stacked, self._frames_input))
        interpreter.set_tensor(self._weight_input["index"], quantize_to(self._frame_weight(), self._weight_input))
        for detail, state in zip(self._state_inputs, self._states, strict=True):
            interpreter.set_tensor(detail["index"], state)
        interpreter.invoke()
        new_states = []
        for out, inp, same in zip(self._state_outputs, self._state_inputs, self._same_quantization, strict=True):
            value = interpreter.get_tensor(out["index"])
            new_states.append(value if same else quantize_to(dequantize_from(value, out), inp))
        self._states = new_states
        logits = interpreter.get_tensor(self._logits_output["index"])
        return dequantize_from(logits, self._logits_output).reshape(-1)

    def stream_clip_logits(self, clip):
        """Logits after each step (steps, num_classes) of a whole clip (T, H, W, 3), from a fresh state."""
        clip = np.asarray(clip, np.float32)
        if len(clip) % self.tubelet_size:
            raise ValueError(f"A clip of {len(clip)} frames is not a whole number of tubelets of {self.tubelet_size}.")
        self.reset()
        ts = self.tubelet_size
        return np.stack([self.step_logits(clip[i : i + ts]) for i in range(0, len(clip), ts)])

    def predict_clip(self, clip):
        """Class probabilities (num_classes,) of a whole clip streamed from a fresh state."""
        return softmax(self.stream_clip_logits(clip)[-1])

    def crop_frame(self, frame_rgb):
        """The evaluation view of one decoded RGB frame: short side resized, centre crop, float32 (H, W, 3)."""
        return center_crop_clip(np.asarray(frame_rgb)[None], self.image_size, self.resize_size)[0]

    def push_frame(self, frame_rgb):
        """Adds one decoded RGB frame; class probabilities when it completes a tubelet, else None."""
        self._pending.append(self.crop_frame(frame_rgb))
        if len(self._pending) < self.tubelet_size:
            return None
        frames, self._pending = np.stack(self._pending), []
        return softmax(self.step_logits(frames))


def open_source(source):
    """A cv2.VideoCapture for a video file path or a camera index (an int, or a string of digits)."""
    camera = isinstance(source, int) or (isinstance(source, str) and source.isdigit())
    if not camera and not os.path.exists(source):
        raise FileNotFoundError(f"No such video file: {source}")
    with native_stderr_hidden():  # OpenCV's "[ WARN:0] ... can't open camera by index" (shown with --verbose)
        capture = cv2.VideoCapture(int(source) if camera else source)
    if not capture.isOpened():
        capture.release()
        raise OSError(f"Cannot open {'camera ' + str(source) if camera else 'video ' + source}")
    return capture


def stream_predictions(classifier, source, stride=1, max_frames=None):
    """Runs `classifier` (a `TFLiteStreamClassifier`) over a video file or camera as frames arrive.

    Feeds every `stride`-th decoded frame. Yields one dict per completed step:
    `frame` (1-based index in the source), `time_s`, `probabilities`, `step_ms`.
    """
    check_ranges({"stride": stride, "max_frames": max_frames}, {k: STREAM_RANGES[k] for k in ("stride", "max_frames")})
    capture = open_source(source)
    fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
    count = 0
    try:
        while max_frames is None or count < max_frames:
            ok, frame_bgr = capture.read()
            if not ok:
                break
            count += 1
            if (count - 1) % stride:
                continue
            start = time.perf_counter()
            probabilities = classifier.push_frame(cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB))
            if probabilities is not None:
                step_ms = (time.perf_counter() - start) * 1e3
                yield {"frame": count, "time_s": count / fps, "probabilities": probabilities, "step_ms": step_ms}
    finally:
        capture.release()
