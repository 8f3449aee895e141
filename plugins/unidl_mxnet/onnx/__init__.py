"""``mx.onnx``: export MXNet models to ONNX (MXNet 1.9.1's ``mxnet.onnx.export_model``), import ONNX models as
Gluon ``SymbolBlock`` s (``import_model``, ``import_to_gluon``).

Needs ``unidl[onnx]`` (the ``onnx`` and ``onnxruntime`` packages). Every export is checked by ``onnx.checker``
and run by ONNX Runtime against the MXNet model on a probe batch before the file is written.
"""
from __future__ import annotations

from ._export import export_model, get_operator_support
from ._import import import_model, import_to_gluon

__all__ = ["export_model", "get_operator_support", "import_model", "import_to_gluon"]
