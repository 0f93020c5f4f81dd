"""`clip_geometry(model)`: the frames and frame size a video model takes, read in one place.

Works for a `VideoFocalNetClassifier` (input (batch, frames, H, W, 3)), its
single-clip graph (`single_clip_model()`, input (frames, H, W, 3) with the
frames as a static batch axis), a `Distiller` (its student) and any other
Keras model with one of those two inputs.
"""

import dataclasses


@dataclasses.dataclass(frozen=True)
class ClipGeometry:
    """A clip of `num_frames` RGB frames of `height` x `width` pixels."""

    num_frames: int
    height: int
    width: int

    def __post_init__(self):
        for name in ("num_frames", "height", "width"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer. Received: {name}={value!r}")

    @property
    def frame_shape(self):
        return (self.height, self.width)

    @property
    def clip_shape(self):
        """(frames, H, W, 3): one clip, the single-clip graph's input."""
        return (self.num_frames, self.height, self.width, 3)

    def batch_shape(self, batch_size=1):
        """(batch, frames, H, W, 3): the classifier's input."""
        return (batch_size,) + self.clip_shape


def clip_geometry(model):
    """The `ClipGeometry` of `model`'s clip input; ValueError naming the shape when it has none."""
    student = getattr(model, "student", None)
    if student is not None:  # a Distiller: the student's clips (the teacher sees the same batch)
        return clip_geometry(student)
    num_frames, frame_shape = getattr(model, "num_frames", None), getattr(model, "frame_shape", None)
    if num_frames is not None and frame_shape is not None:  # a classifier knows its geometry
        return ClipGeometry(int(num_frames), int(frame_shape[0]), int(frame_shape[1]))
    try:
        shape = tuple(model.inputs[0].shape)
    except (AttributeError, IndexError, TypeError, ValueError) as error:
        raise ValueError(f"{_name(model)} has no clip input (it is not built). Received: model={model!r}") from error
    static = all(isinstance(d, int) for d in shape[1:])
    if len(shape) == 5 and static and shape[-1] == 3:  # (batch, frames, H, W, 3)
        return ClipGeometry(*shape[1:4])
    if len(shape) == 4 and isinstance(shape[0], int) and static and shape[-1] == 3:  # (frames, H, W, 3)
        return ClipGeometry(*shape[:3])
    raise ValueError(
        f"{_name(model)} needs a static clip input, (batch, frames, height, width, 3) or (frames, height, width, 3). "
        f"Received: input shape={shape}"
    )


def _name(model):
    return f"The model {getattr(model, 'name', type(model).__name__)!r}"
