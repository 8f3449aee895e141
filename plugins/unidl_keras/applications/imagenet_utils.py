"""Input-shape checks and preprocessing shared by ``keras.applications`` (Keras's ``imagenet_utils``)."""
from __future__ import annotations

import os
import warnings
from typing import Any, Optional, Tuple


def obtain_input_shape(input_shape: Optional[Tuple[Any, ...]], default_size: int, min_size: int, data_format: str,
                       require_flatten: bool, weights: Any = None) -> Tuple[Any, ...]:
    """The model's input shape: ``input_shape`` checked (three dims, 3 channels for ImageNet weights, spatial
    size at least ``min_size``), or the default one (square ``default_size`` images with a classifier on top,
    any spatial size otherwise)."""
    first = data_format == "channels_first"
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        channels = input_shape[0] if first else input_shape[-1]
        if channels not in {1, 3}:
            warnings.warn("This model usually expects 1 or 3 input channels. However, it was passed an input_shape "
                          f"with {channels} input channels.", stacklevel=3)
        default_shape = (channels, default_size, default_size) if first else (default_size, default_size, channels)
    else:
        default_shape = (3, default_size, default_size) if first else (default_size, default_size, 3)
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and tuple(input_shape) != default_shape:
            raise ValueError("When setting `include_top=True` and loading `imagenet` weights, `input_shape` should be "
                             f"{default_shape}.  Received: input_shape={input_shape}")
        return default_shape
    if input_shape:
        if len(input_shape) != 3:
            raise ValueError("`input_shape` must be a tuple of three integers.")
        channels = input_shape[0] if first else input_shape[-1]
        spatial = input_shape[1:] if first else input_shape[:2]
        if channels != 3 and weights == "imagenet":
            raise ValueError(f"The input must have 3 channels; Received `input_shape={input_shape}`")
        if any(d is not None and d < min_size for d in spatial):
            raise ValueError(f"Input size must be at least {min_size}x{min_size}; Received: input_shape={input_shape}")
    else:
        input_shape = default_shape if require_flatten else ((3, None, None) if first else (None, None, 3))
    if require_flatten and None in input_shape:
        raise ValueError("If `include_top` is True, you should specify a static `input_shape`. "
                         f"Received: input_shape={input_shape}")
    return tuple(input_shape)


def validate_activation(classifier_activation: Any, weights: Any) -> None:
    """Only ``None`` and ``softmax`` classifier activations go with pretrained weights."""
    if weights is None:
        return
    from .. import activations

    act = activations.get(classifier_activation)
    if act not in {activations.get("softmax"), activations.get(None)}:
        raise ValueError("Only `None` and `softmax` activations are allowed for the `classifier_activation` argument "
                         "when using pretrained weights, with `include_top=True`; Received: "
                         f"classifier_activation={classifier_activation}")


def check_weights(weights: Any, include_top: bool, classes: int) -> None:
    """``weights`` must be ``None`` or a weights file on disk (ImageNet weights are not downloaded here)."""
    if weights == "imagenet":
        raise ValueError("unidl's keras.applications builds the architecture only: pretrained `imagenet` weights are "
                         "not downloaded. Pass `weights=None` (random initialization) or the path to a weights file "
                         "you have (e.g. a Keras `.h5` or `.weights.h5` file).")
    if not (weights is None or (isinstance(weights, (str, os.PathLike)) and os.path.exists(weights))):
        raise ValueError("The `weights` argument should be either `None` (random initialization), 'imagenet' "
                         "(pre-training on ImageNet), or the path to the weights file to be loaded.  Received: "
                         f"weights={weights}")


def preprocess_input(x: Any, data_format: Optional[str] = None, mode: str = "tf") -> Any:
    """Scale pixels for a model: ``"tf"`` to [-1, 1], ``"torch"`` to ImageNet-normalized [0, 1] values,
    ``"caffe"`` to BGR with the ImageNet means subtracted."""
    from .. import ops
    from ..backend.config import image_data_format

    if mode not in {"caffe", "tf", "torch"}:
        raise ValueError("Expected mode to be one of `caffe`, `tf` or `torch`. Received: mode={mode}")
    data_format = data_format or image_data_format()
    if data_format not in {"channels_first", "channels_last"}:
        raise ValueError(f"Expected data_format to be one of `channels_first` or `channels_last`. Received: "
                         f"data_format={data_format}")
    x = ops.convert_to_tensor(x)
    if not str(x.dtype).startswith("float"):
        x = ops.cast(x, "float32")
    if mode == "tf":
        return x / 127.5 - 1.0
    axis = 1 if data_format == "channels_first" and len(x.shape) > 3 else (0 if data_format == "channels_first"
                                                                           else -1)
    if mode == "torch":
        mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
        x = x / 255.0
    else:
        x = ops.flip(x, axis=axis)  # RGB -> BGR
        mean, std = [103.939, 116.779, 123.68], None
    shape = [1] * len(x.shape)
    shape[axis] = 3
    x = x - ops.reshape(ops.convert_to_tensor(mean, dtype=x.dtype), shape)
    if std is not None:
        x = x / ops.reshape(ops.convert_to_tensor(std, dtype=x.dtype), shape)
    return x
