"""``unidl convert SRC DST``: trained weights between a Keras model and its Gluon twin.

Directions (by file suffix):

* ``MODEL.keras -> NET.params``: the Gluon twin is built from the Keras model
  (``unidl_conformance.twins.builder``), the weights are mapped with the twin mapper, and the
  ``.params`` holds the twin's structural names, as ``save_parameters`` writes them (``0.weight``...).
  ``W.weights.h5 -> NET.params`` works too, with ``--keras-model ARCH.keras`` giving the architecture.
* ``NET.params -> MODEL.keras`` or ``W.weights.h5``: needs ``--keras-model ARCH.keras`` (the Keras model
  whose weights to replace); the ``.params`` is loaded into the twin built from it (every name must match),
  mapped to Keras, and saved (a ``.keras`` without optimizer state).

Before anything is written both models run a fixed probe batch; their outputs must agree (bitwise where
the twins run the same arithmetic, else within ``--tolerance`` times the output's magnitude), or nothing
is written and the exit status is 1. Files are written atomically; nothing is ever unpickled.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Any, List, Tuple

import numpy as np

HELP = "convert trained weights between Keras (.keras/.weights.h5) and Gluon (.params) twins"

KERAS_SUFFIXES = (".keras", ".weights.h5")


class ConvertError(RuntimeError):
    """A conversion that cannot go ahead; ``status`` is the exit status (2: usage, 1: failure)."""

    def __init__(self, msg: str, status: int = 1) -> None:
        super().__init__(msg)
        self.status = status


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("src", metavar="SRC", help="the file to read: .keras, .weights.h5 or .params")
    parser.add_argument("dst", metavar="DST", help="the file to write: .params, .keras or .weights.h5")
    parser.add_argument("--keras-model", metavar="ARCH.keras", default=None,
                        help="the Keras model (architecture) to use: needed for .params -> Keras and "
                             ".weights.h5 -> .params")
    parser.add_argument("--tolerance", type=float, default=1e-6, metavar="T",
                        help="largest probe-output difference accepted, times max(1, max |output|), where the twins "
                             "are not bitwise (default: 1e-6)")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")


def _kind(path: str, what: str) -> str:
    low = path.lower()
    if low.endswith(".weights.h5"):
        return "weights.h5"
    if low.endswith(".keras"):
        return "keras"
    if low.endswith(".params"):
        return "params"
    raise ConvertError(f"{what} '{path}': unsupported file type; expected a name ending in .keras, .weights.h5 "
                       "or .params", 2)


def _builder() -> Any:
    try:
        return importlib.import_module("unidl_conformance.twins.builder")
    except ImportError as e:
        raise ConvertError(f"the twin builder (unidl_conformance.twins.builder) is not importable: {e}") from e


def _step(what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run one step; any failure becomes a :class:`ConvertError` that says which step failed."""
    try:
        return fn(*args, **kwargs)
    except ConvertError:
        raise
    except Exception as e:  # noqa: BLE001 - every reader/builder error becomes one clear line
        raise ConvertError(f"{what}: {type(e).__name__}: {e}") from e


def _load_keras(keras: Any, path: str) -> Any:
    if not os.path.isfile(path):
        raise ConvertError(f"'{path}': no such file")
    model = _step(f"cannot read the Keras model '{path}'", keras.saving.load_model, path, compile=False)
    if not hasattr(model, "layers"):
        raise ConvertError(f"'{path}' holds a {type(model).__name__}, not a Sequential or functional model")
    return model


def _verify(builder: Any, model: Any, twin: Any, tolerance: float) -> Tuple[bool, str]:
    """(ok, one-line report) comparing both models' outputs on a fixed probe batch."""
    x = builder.probe_input(twin)
    yk, yg = _step("running the probe batch", builder.compare_outputs, model, twin, x)
    if yk.shape != yg.shape:
        return False, f"probe outputs have different shapes: Keras {yk.shape}, Gluon {yg.shape}"
    if not (np.all(np.isfinite(yk)) and np.all(np.isfinite(yg))):
        return False, "probe outputs are not finite"
    d = float(np.abs(yk.astype(np.float64) - yg.astype(np.float64)).max()) if yk.size else 0.0
    bitwise = yk.dtype == yg.dtype and yk.tobytes() == yg.tobytes()
    bound = tolerance * max(1.0, float(np.abs(yk).max()) if yk.size else 1.0)
    where = f"probe batch {tuple(x.shape)}: max |diff| {d:.3g}"
    if bitwise:
        return True, f"{where} (bitwise identical)"
    if d <= bound:
        return True, f"{where} (within {bound:.3g}" + ("; not bitwise, the Flatten feature order differs)"
                                                        if not twin.bitwise else ")")
    return False, f"{where} exceeds {bound:.3g}"


def _params_bytes(twin: Any) -> bytes:
    from ..io import mxnet_params

    params = twin.net._collect_params_with_prefix()
    names = list(params)
    arrays = [np.ascontiguousarray(p.data().asnumpy()) for p in params.values()]
    data = mxnet_params.dumps(arrays, names)
    back, back_names = mxnet_params.loads(data, "<converted>")
    if back_names != names or any(a.tobytes() != b.tobytes() for a, b in zip(arrays, back)):
        raise ConvertError("internal check failed: the .params bytes do not read back to the same arrays")
    return data


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except ConvertError as e:
        print(f"unidl convert: {e}", file=sys.stderr)
        return e.status


def _run(args: argparse.Namespace) -> int:
    from .demo import DemoError, frontend

    src_kind, dst_kind = _kind(args.src, "SRC"), _kind(args.dst, "DST")
    say = (lambda *a: None) if args.quiet else print
    if src_kind == "params" and dst_kind == "params" or src_kind != "params" and dst_kind != "params":
        raise ConvertError(f"converting {src_kind} -> {dst_kind} is not a conversion between frameworks; one "
                           "side must be a Gluon .params and the other a Keras .keras / .weights.h5", 2)
    arch = args.keras_model
    if arch is not None and _kind(arch, "--keras-model") != "keras":
        raise ConvertError(f"--keras-model '{arch}': expected a .keras model file", 2)
    if (src_kind == "params" or src_kind == "weights.h5") and arch is None:
        raise ConvertError(f"reading '{args.src}' needs the Keras architecture: pass --keras-model ARCH.keras", 2)
    if not os.path.isfile(args.src):
        raise ConvertError(f"'{args.src}': no such file")
    try:
        keras, _mx = frontend("keras"), frontend("mxnet")
    except DemoError as e:
        raise ConvertError(str(e)) from e
    builder = _builder()

    model = _load_keras(keras, arch if arch is not None else args.src)
    twin = _step("building the Gluon twin", builder.build_gluon_twin, model)

    if dst_kind == "params":
        if src_kind == "weights.h5":
            _step(f"cannot load the weights '{args.src}' into '{arch}'", model.load_weights, args.src)
        _step("mapping the Keras weights to the Gluon twin", builder.keras_to_twin, model, twin)
        ok, report = _verify(builder, model, twin, args.tolerance)
        if not ok:
            raise ConvertError(f"verification failed, nothing written: {report}")
        data = _params_bytes(twin)
        from ..io.atomic import write_bytes_atomic

        _step(f"cannot write '{args.dst}'", write_bytes_atomic, args.dst, data)
        say(f"{args.src} -> {args.dst}: {len(twin.net._collect_params_with_prefix())} parameters "
            f"({', '.join(_first_names(twin))}); {report}")
        return 0

    # .params -> Keras
    _step(f"cannot load '{args.src}' into the Gluon twin of '{arch}'", twin.net.load_parameters, args.src)
    _step("mapping the Gluon parameters to the Keras model", builder.twin_to_keras, twin, model)
    ok, report = _verify(builder, model, twin, args.tolerance)
    if not ok:
        raise ConvertError(f"verification failed, nothing written: {report}")
    if dst_kind == "keras":
        _step(f"cannot write '{args.dst}'", keras.saving.save_model, model, args.dst, include_optimizer=False)
    else:
        _step(f"cannot write '{args.dst}'", model.save_weights, args.dst)
    say(f"{args.src} -> {args.dst}: {len(model.weights)} Keras weights; {report}")
    return 0


def _first_names(twin: Any, n: int = 4) -> List[str]:
    names = list(twin.net._collect_params_with_prefix())
    return names[:n] + (["..."] if len(names) > n else [])
