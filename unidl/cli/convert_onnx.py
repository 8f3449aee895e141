"""``unidl convert`` to and from ONNX (``unidl[onnx]``).

* ``MODEL.keras MODEL.onnx``: the Keras model exported (``model.export(format="onnx")``).
* ``NET-symbol.json NET-0000.params MODEL.onnx --input-shape 1,3,32,32``: an MXNet export (symbol + parameters)
  exported with ``mx.onnx.export_model`` (batch dimension symbolic).
* ``MODEL.onnx MODEL.keras``: a functional Keras model (trainable), saved as a ``.keras`` archive.
* ``MODEL.onnx NET-symbol.json``: a Gluon ``SymbolBlock``, written as ``NET-symbol.json`` and ``NET-0000.params``
  (``arg:``/``aux:`` names, as ``HybridBlock.export`` writes them; ``SymbolBlock.imports`` loads them).

Every export is checked by ``onnx.checker`` and ONNX Runtime against the source model on a probe batch, and every
import runs against ONNX Runtime, before anything is written; a failure writes nothing and exits with status 1.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Any, List, Optional, Sequence

from .convert import ConvertError

__all__ = ["is_onnx_conversion", "run_onnx"]


def is_onnx_conversion(paths: Sequence[str]) -> bool:
    low = [p.lower() for p in paths]
    return any(p.endswith(".onnx") for p in low) or (len(low) == 3 and low[0].endswith("-symbol.json"))


def _shape(text: Optional[str]) -> Optional[List[int]]:
    if text is None:
        return None
    try:
        dims = [int(d) for d in text.replace("x", ",").split(",") if d.strip()]
    except ValueError:
        raise ConvertError(f"--input-shape {text!r}: expected comma-separated integers such as 1,3,32,32", 2) from None
    if not dims or any(d <= 0 for d in dims):
        raise ConvertError(f"--input-shape {text!r}: every dimension must be positive", 2)
    return dims


def _need_file(path: str) -> None:
    if not os.path.isfile(path):
        raise ConvertError(f"'{path}': no such file")


def _step(what: str, fn: Any, *a: Any, **k: Any) -> Any:
    try:
        return fn(*a, **k)
    except ConvertError:
        raise
    except ImportError as e:
        raise ConvertError(f"{what}: {e}") from e
    except Exception as e:  # noqa: BLE001 - every failure becomes one line, exit 1
        raise ConvertError(f"{what}: {type(e).__name__}: {e}") from e


def run_onnx(args: argparse.Namespace, paths: Sequence[str]) -> int:
    say = (lambda *a: None) if getattr(args, "quiet", False) else print
    low = [p.lower() for p in paths]
    try:
        if len(paths) == 3:
            sym, params, dst = paths
            if not (low[0].endswith("-symbol.json") and low[1].endswith(".params") and low[2].endswith(".onnx")):
                raise ConvertError("three paths convert an MXNet export to ONNX: NET-symbol.json NET-0000.params "
                                   "MODEL.onnx", 2)
            shape = _shape(getattr(args, "input_shape", None))
            if shape is None:
                raise ConvertError("an MXNet symbol has no input shape: pass --input-shape, e.g. --input-shape 1,3,32,32",
                                   2)
            _need_file(sym)
            _need_file(params)
            from unidl_mxnet.onnx import export_model

            _step("exporting to ONNX, nothing written", export_model, sym, params, [tuple(shape)],
                  getattr(args, "input_dtype", "float32"), dst, dynamic=True,
                  dynamic_input_shapes=[(None,) + tuple(shape[1:])])
            say(f"{sym} + {params} -> {dst}: checked by onnx.checker and ONNX Runtime (probe {tuple(shape)})")
            return 0
        src, dst = paths
        if low[0].endswith(".keras") and low[1].endswith(".onnx"):
            _need_file(src)
            import unidl_keras as keras
            from unidl_keras._onnx import export_onnx

            model = _step(f"cannot read the Keras model '{src}'", keras.saving.load_model, src, compile=False)
            report = _step("exporting to ONNX, nothing written", export_onnx, model, dst)
            say(f"{src} -> {report}")
            return 0
        if low[0].endswith(".onnx") and low[1].endswith(".keras"):
            _need_file(src)
            import unidl.onnx as uonnx
            import unidl_keras as keras

            model = _step(f"importing '{src}' into Keras, nothing written", uonnx.load, src, face="keras")
            _step(f"cannot write '{dst}'", keras.saving.save_model, model, dst)
            say(f"{src} -> {dst}: functional Keras model, {len(model.layers)} layers, "
                f"{sum(int(v.numpy().size) for v in model.weights)} weights (checked against ONNX Runtime)")
            return 0
        if low[0].endswith(".onnx") and low[1].endswith("-symbol.json"):
            _need_file(src)
            import unidl.onnx as uonnx

            net = _step(f"importing '{src}' into Gluon, nothing written", uonnx.load, src, face="mxnet")
            prefix = dst[: -len("-symbol.json")]
            _step(f"cannot write '{prefix}-symbol.json' / '{prefix}-0000.params'", _write_mxnet, net, prefix)
            say(f"{src} -> {prefix}-symbol.json, {prefix}-0000.params: Gluon SymbolBlock, "
                f"{len(net.collect_params())} parameters (checked against ONNX Runtime)")
            return 0
        raise ConvertError("ONNX conversions: MODEL.keras MODEL.onnx | NET-symbol.json NET-0000.params MODEL.onnx | "
                           "MODEL.onnx MODEL.keras | MODEL.onnx NET-symbol.json", 2)
    except ConvertError as e:
        print(f"unidl convert: {e}", file=sys.stderr)
        return e.status


def _write_mxnet(net: Any, prefix: str) -> None:
    from ..io import mxnet_params
    from ..io.atomic import write_bytes_atomic

    sym = net._graph
    aux = set(sym.list_auxiliary_states())
    params = {p.name: p for p in net.collect_params().values()}
    names, arrays = [], []
    for name in sym.list_inputs():
        p = params.get(name)
        if p is None:
            continue
        names.append(("aux:" if name in aux else "arg:") + name)
        arrays.append(p.data().asnumpy())
    data = mxnet_params.dumps(arrays, names)
    write_bytes_atomic(prefix + "-0000.params", data)
    write_bytes_atomic(prefix + "-symbol.json", sym.tojson().encode("utf-8"))
