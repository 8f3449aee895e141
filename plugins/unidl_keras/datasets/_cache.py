"""Where dataset files are looked up: the Keras cache (``$KERAS_HOME/datasets`` or
``~/.keras/datasets``), through the offline :func:`~unidl_keras.utils.file_utils.get_file`."""
from __future__ import annotations

from ..utils.file_utils import get_file, keras_home, missing_file_error

__all__ = ["get_file", "keras_home", "missing_file_error", "TF_DATASETS"]

#: the base URL Keras downloads its preprocessed datasets from (named in "place the file" errors)
TF_DATASETS = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
