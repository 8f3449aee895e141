"""``keras.export``: exporting for inference.

``Model.export(format="onnx")`` is unidl's exporter (``unidl.onnx``). The TensorFlow SavedModel tools
(``ExportArchive``, ``TFSMLayer``, ``export_saved_model``) need TensorFlow and raise a named error.
"""
from __future__ import annotations

from typing import Any


def _needs_tensorflow(what: str) -> NotImplementedError:
    return NotImplementedError(f"keras.export.{what} needs TensorFlow (TF SavedModel), which unidl does not provide; "
                               "use model.export(filepath, format='onnx')")


class ExportArchive:
    """TF SavedModel export archive: not available on unidl (raises when made)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise _needs_tensorflow("ExportArchive")


class TFSMLayer:
    """A layer reloaded from a TF SavedModel: not available on unidl (raises when made)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise _needs_tensorflow("TFSMLayer")


def export_saved_model(*args: Any, **kwargs: Any) -> None:
    raise _needs_tensorflow("export_saved_model")


def export_onnx(model: Any, filepath: Any, verbose: Any = None, input_signature: Any = None, **kwargs: Any) -> None:
    """Write ``model`` as ONNX: ``model.export(filepath, format="onnx")``."""
    model.export(filepath, format="onnx", verbose=verbose, input_signature=input_signature, **kwargs)
