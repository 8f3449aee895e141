"""ONNX both ways: the neutral door between the faces (``unidl[onnx]``: the ``onnx`` and ``onnxruntime`` packages).

Export. Each face walks its own graph (a Keras functional graph, a traced Gluon/MXNet symbol) and emits ONNX
nodes through :class:`~unidl.onnx.graph.GraphBuilder`, which takes weights in the core's canonical layouts
(``unidl.nn.layouts``; recurrent gates in the core's orders) and writes them in ONNX's (LSTM gates i, o, f, c;
GRU gates z, r, h with ``linear_before_reset=1``). Every model is checked with ``onnx.checker`` and run by
ONNX Runtime on a probe batch against the unidl model before anything is written
(:func:`~unidl.onnx.check.verify_and_write`); a failed check writes nothing.

Import. :func:`~unidl.onnx.reader.read` loads an ONNX file without following references it should not
(external data only inside the model's folder), checks it (every input defined, no cycles, initializer sizes,
supported ops, all unsupported ones listed in one error) and gives a topologically sorted graph with NumPy
initializers. :func:`load` hands it to a face's importer: a functional Keras model or a Gluon ``SymbolBlock``,
whose weights are variables/parameters with exactly the file's values.
"""
from __future__ import annotations

from typing import Any

__all__ = ["OnnxError", "load", "DEFAULT_OPSET"]

DEFAULT_OPSET = 17


class OnnxError(ValueError):
    """An ONNX export or import that cannot go ahead (unsupported op or layer, hostile or broken file, failed
    verification)."""


def require() -> Any:
    """The ``onnx`` module, or an ImportError saying how to get it."""
    try:
        import onnx
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("ONNX support needs the 'onnx' package: pip install 'unidl[onnx]' "
                          "(onnx and onnxruntime)") from e
    return onnx


def load(path: str, face: str = "keras", verify: bool = True) -> Any:
    """Import the ONNX model at ``path`` into a trainable model of ``face``: "keras" (a functional
    ``keras.Model``) or "mxnet" / "gluon" (a ``gluon.SymbolBlock``). With ``verify``, the imported model and
    ONNX Runtime run a probe batch and must agree (see :mod:`unidl.onnx.check`)."""
    from .reader import read

    face = face.lower()
    if face not in ("keras", "mxnet", "gluon"):
        raise ValueError(f"unidl.onnx.load: face must be 'keras' or 'mxnet', got {face!r}")
    if face == "keras":
        from unidl_keras._onnx import SUPPORTED_ONNX, import_graph
    else:
        from unidl_mxnet.onnx._import import SUPPORTED_ONNX, import_graph
    graph = read(path, SUPPORTED_ONNX)
    model = import_graph(graph)
    if verify:
        from .check import verify_import

        verify_import(graph, model, face)
    return model
