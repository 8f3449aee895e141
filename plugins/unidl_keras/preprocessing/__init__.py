"""``keras.preprocessing``: Keras 3's legacy namespace (``sequence``, ``image`` and the dataset helpers)."""
from __future__ import annotations

from ..utils.directory_dataset_utils import image_dataset_from_directory, text_dataset_from_directory
from ..utils.timeseries_dataset_utils import timeseries_dataset_from_array
from . import image, sequence

__all__ = ["image", "sequence", "image_dataset_from_directory", "text_dataset_from_directory",
           "timeseries_dataset_from_array"]
