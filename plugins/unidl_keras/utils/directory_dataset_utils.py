"""``keras.utils.text_dataset_from_directory`` / ``image_dataset_from_directory``: one sub-folder per class.

Files are listed and labelled as Keras does (class folders in alphanumeric order unless
``class_names`` is given; files sorted, then shuffled with ``seed``; ``validation_split`` takes the
last fraction). Images need Pillow to decode; without it, a clear ImportError says so.
"""
from __future__ import annotations

import os
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from .dataset_utils import BatchDataset, _as_batch_value

IMAGE_EXTS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")


def index_directory(directory: str, labels: Any, formats: Tuple[str, ...], class_names: Optional[Sequence[str]],
                    shuffle: bool, seed: Optional[int], follow_links: bool = False
                    ) -> Tuple[List[str], Optional[np.ndarray], List[str]]:
    """(file paths, integer labels or None, class names) of the files under ``directory``."""
    if not os.path.isdir(directory):
        raise ValueError(f"Could not find directory {directory}")
    subdirs = sorted(d for d in os.listdir(directory) if os.path.isdir(os.path.join(directory, d)))
    if class_names is not None:
        missing = set(class_names) - set(subdirs)
        if missing:
            raise ValueError(f"The `class_names` passed did not match the names of the subdirectories of the target "
                             f"directory. Expected: {subdirs} (or a subset of it), but received: class_names="
                             f"{list(class_names)}")
        subdirs = list(class_names)
    paths: List[str] = []
    labs: List[int] = []
    for ci, sub in enumerate(subdirs if labels == "inferred" else [""]):
        root = os.path.join(directory, sub)
        for dp, _, files in sorted(os.walk(root, followlinks=follow_links)):
            for f in sorted(files):
                if f.lower().endswith(formats):
                    paths.append(os.path.join(dp, f))
                    labs.append(ci)
    lab = np.asarray(labs, dtype=np.int32) if labels == "inferred" else None
    if labels not in ("inferred", None):
        lab = np.asarray(labels)
        if len(lab) != len(paths):
            raise ValueError(f"Expected the lengths of `labels` to match the number of files in the target directory. "
                             f"len(labels) is {len(lab)} while we found {len(paths)} files in directory {directory}.")
    if shuffle:
        order = np.random.default_rng(seed if seed is not None else np.random.randint(1_000_000)).permutation(
            len(paths))
        paths = [paths[i] for i in order]
        lab = lab[order] if lab is not None else None
    return paths, lab, list(subdirs) if labels == "inferred" else []


def _split(paths: List[str], lab: Optional[np.ndarray], validation_split: Optional[float], subset: Optional[str]
           ) -> List[Tuple[List[str], Optional[np.ndarray]]]:
    if not validation_split:
        return [(paths, lab)]
    if subset not in ("training", "validation", "both"):
        raise ValueError(f'`subset` must be either "training", "validation" or "both", received: {subset}')
    k = int(validation_split * len(paths))
    tr = (paths[:len(paths) - k], None if lab is None else lab[:len(paths) - k])
    va = (paths[len(paths) - k:], None if lab is None else lab[len(paths) - k:])
    return {"training": [tr], "validation": [va], "both": [tr, va]}[subset]


def _encode_labels(lab: np.ndarray, label_mode: Optional[str], num_classes: int) -> Optional[np.ndarray]:
    if label_mode is None:
        return None
    if label_mode == "int":
        return lab.astype(np.int32)
    if label_mode == "binary":
        if num_classes != 2:
            raise ValueError(f'When passing `label_mode="binary"`, there must be exactly 2 class_names. '
                             f"Received: class_names with {num_classes} classes")
        return lab.astype(np.float32).reshape(-1, 1)
    if label_mode == "categorical":
        return np.eye(num_classes, dtype=np.float32)[lab]
    raise ValueError(f'`label_mode` argument must be one of "int", "categorical", "binary", or None. '
                     f"Received: label_mode={label_mode}")


def _dataset(paths: List[str], lab: Optional[np.ndarray], load: Any, batch_size: Optional[int],
             class_names: List[str]) -> BatchDataset:
    bs = batch_size or 1
    n = -(-len(paths) // bs)

    def make(i: int) -> Any:
        sel = range(i * bs, min((i + 1) * bs, len(paths))) if batch_size else [i]
        x = np.stack([load(paths[j]) for j in sel])
        if not batch_size:
            x = x[0]
        if lab is None:
            return _as_batch_value(x)
        y = lab[list(sel)] if batch_size else lab[i]
        return _as_batch_value(x), _as_batch_value(y)

    ds = BatchDataset(n, make)
    ds.class_names = class_names
    ds.file_paths = paths
    return ds


def text_dataset_from_directory(directory: str, labels: Any = "inferred", label_mode: Optional[str] = "int",
                                class_names: Optional[Sequence[str]] = None, batch_size: Optional[int] = 32,
                                max_length: Optional[int] = None, shuffle: bool = True, seed: Optional[int] = None,
                                validation_split: Optional[float] = None, subset: Optional[str] = None,
                                follow_links: bool = False, verbose: bool = True, encoding: str = "utf-8") -> Any:
    """A dataset of (text batch (str array), label batch) from ``directory/<class>/*.txt``."""
    paths, lab, names = index_directory(directory, labels, (".txt",), class_names, shuffle, seed, follow_links)
    if verbose:
        print(f"Found {len(paths)} files belonging to {len(names)} classes.")

    def load(p: str) -> str:
        with open(p, "r", encoding=encoding) as f:
            t = f.read()
        return t[:max_length] if max_length else t

    parts = []
    for ps, lb in _split(paths, lab, validation_split, subset):
        lb = None if lb is None else _encode_labels(lb, label_mode, len(names))
        parts.append(_dataset(ps, lb, lambda p: np.asarray(load(p), dtype=object), batch_size, names))
    return parts[0] if len(parts) == 1 else parts


def _require_pillow(api: str) -> Any:
    try:
        from PIL import Image  # noqa: F401
    except ImportError:
        raise ImportError(f"{api} needs Pillow to decode images, and Pillow is not installed "
                          f"(`pip install pillow`). unidl does not depend on it.") from None
    return Image


def image_dataset_from_directory(directory: str, labels: Any = "inferred", label_mode: Optional[str] = "int",
                                 class_names: Optional[Sequence[str]] = None, color_mode: str = "rgb",
                                 batch_size: Optional[int] = 32, image_size: Tuple[int, int] = (256, 256),
                                 shuffle: bool = True, seed: Optional[int] = None,
                                 validation_split: Optional[float] = None, subset: Optional[str] = None,
                                 interpolation: str = "bilinear", follow_links: bool = False,
                                 crop_to_aspect_ratio: bool = False, pad_to_aspect_ratio: bool = False,
                                 data_format: Optional[str] = None, verbose: bool = True) -> Any:
    """A dataset of (float32 image batch (batch, h, w, channels), label batch) from ``directory/<class>/*``."""
    _require_pillow("keras.utils.image_dataset_from_directory")
    from .image_utils import img_to_array, load_img

    channels = {"rgb": 3, "rgba": 4, "grayscale": 1}.get(color_mode)
    if channels is None:
        raise ValueError(f'`color_mode` must be one of {{"rgb", "rgba", "grayscale"}}. Received: color_mode={color_mode}')
    paths, lab, names = index_directory(directory, labels, IMAGE_EXTS, class_names, shuffle, seed, follow_links)
    if verbose:
        print(f"Found {len(paths)} files belonging to {len(names)} classes.")

    def load(p: str) -> np.ndarray:
        img = load_img(p, color_mode=color_mode, target_size=tuple(image_size), interpolation=interpolation,
                       keep_aspect_ratio=crop_to_aspect_ratio)
        return img_to_array(img, data_format=data_format)

    parts = []
    for ps, lb in _split(paths, lab, validation_split, subset):
        lb = None if lb is None else _encode_labels(lb, label_mode, len(names))
        parts.append(_dataset(ps, lb, load, batch_size, names))
    return parts[0] if len(parts) == 1 else parts
