"""``unidl convert SRC DST``: trained weights between a Keras model and its Gluon twin.

Directions (by file suffix):

* ``MODEL.keras -> NET.params``: the Keras model is described in the core's canonical terms (its frontend's
  ``describe``), the Gluon twin is built from that description (the Gluon frontend's ``build``), the weights
  go Keras -> canonical units -> Gluon (``unidl.nn.canonical``: each frontend translates only its own layers),
  and the ``.params`` holds the twin's structural names, as ``save_parameters`` writes them (``0.weight``...).
  ``W.weights.h5 -> NET.params`` works too, with ``--keras-model ARCH.keras`` giving the architecture.
* ``NET.params -> MODEL.keras`` or ``W.weights.h5``: needs ``--keras-model ARCH.keras`` (the Keras model
  whose weights to replace); the ``.params`` is loaded into the twin built from it (every name must match),
  mapped to Keras, and saved (a ``.keras`` without optimizer state).

ONNX (``unidl.cli.convert_onnx``): ``MODEL.keras MODEL.onnx``, ``NET-symbol.json NET-0000.params MODEL.onnx
--input-shape N,C,H,W``, ``MODEL.onnx MODEL.keras`` and ``MODEL.onnx NET-symbol.json``.

Before anything is written both models run a fixed probe batch; their outputs must agree (bitwise where
the twins run the same arithmetic, else within ``--tolerance`` times the output's magnitude), or nothing
is written and the exit status is 1. Files are written atomically; nothing is ever unpickled.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Any, List, Tuple

import numpy as np

HELP = ("convert trained weights between Keras (.keras/.weights.h5) and Gluon (.params) twins, and models to and "
        "from ONNX (.onnx)")

KERAS_SUFFIXES = (".keras", ".weights.h5")
NAMES = ("keras", "gluon")


class ConvertError(RuntimeError):
    """A conversion that cannot go ahead; ``status`` is the exit status (2: usage, 1: failure)."""

    def __init__(self, msg: str, status: int = 1) -> None:
        super().__init__(msg)
        self.status = status


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("src", metavar="SRC", help="the file to read: .keras, .weights.h5, .params, .onnx or "
                                                   "NET-symbol.json (then NET-0000.params follows)")
    parser.add_argument("dst", metavar="DST", help="the file to write: .params, .keras, .weights.h5, .onnx or "
                                                   "NET-symbol.json (from .onnx)")
    parser.add_argument("dst2", metavar="ONNX", nargs="?", default=None,
                        help="with SRC NET-symbol.json and DST NET-0000.params: the .onnx file to write")
    parser.add_argument("--input-shape", default=None, metavar="N,C,H,W",
                        help="the input shape of an MXNet symbol exported to ONNX (the batch size stays symbolic)")
    parser.add_argument("--input-dtype", default="float32", metavar="DTYPE",
                        help="the input dtype of an MXNet symbol exported to ONNX (default float32)")
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


def probe_input(spec: Any, batch: int = 4, seed: int = 0) -> np.ndarray:
    """A fixed probe batch in the Keras layout: standard normal floats, or token ids below the vocabulary."""
    rng = np.random.default_rng(seed)
    shape = (batch,) + tuple(8 if d is None else d for d in spec.input_shape)
    if "int" in spec.input_dtype or spec.vocab:
        return rng.integers(0, max(spec.vocab, 2), size=shape).astype(
            spec.input_dtype if "int" in spec.input_dtype else "int32")
    return rng.standard_normal(shape).astype(spec.input_dtype)


def _outputs(mx: Any, model: Any, spec: Any, net: Any, x: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """(Keras output, Gluon output in Keras's layout) for the Keras-layout batch ``x``, inference mode."""
    yk = model(x, training=False)
    yk = np.asarray(yk.numpy() if hasattr(yk, "numpy") else yk)
    xg = np.ascontiguousarray(x.transpose(spec.input_perm)) if spec.input_perm is not None else x
    yg = net(mx.nd.array(xg, dtype="float32" if "int" in str(xg.dtype) else str(xg.dtype))).asnumpy()
    if spec.output_perm is not None:
        yg = np.ascontiguousarray(yg.transpose(spec.output_perm))
    return yk, yg


def _verify(mx: Any, model: Any, spec: Any, net: Any, tolerance: float, pairs: Any) -> Tuple[bool, str]:
    """(ok, one-line report): every paired weight (canonical units) byte for byte, then both models' outputs
    on a fixed probe batch."""
    from ..nn.canonical import differences

    diffs = differences(pairs)
    if diffs:
        return False, f"{len(diffs)} weight(s) differ after the move, e.g. {diffs[0]}"
    x = probe_input(spec)
    yk, yg = _step("running the probe batch", _outputs, mx, model, spec, net, x)
    if yk.shape != yg.shape:
        return False, f"probe outputs have different shapes: Keras {yk.shape}, Gluon {yg.shape}"
    if not (np.all(np.isfinite(yk)) and np.all(np.isfinite(yg))):
        return False, "probe outputs are not finite"
    d = float(np.abs(yk.astype(np.float64) - yg.astype(np.float64)).max()) if yk.size else 0.0
    bitwise = yk.dtype == yg.dtype and yk.tobytes() == yg.tobytes()
    bound = tolerance * max(1.0, float(np.abs(yk).max()) if yk.size else 1.0)
    where = f"probe batch {tuple(x.shape)}: max |diff| {d:.3g}"
    if bitwise:
        return True, f"{where} (bitwise identical: every weight and the probe output)"
    if d <= bound:
        return True, f"{where} (within {bound:.3g}" + ("; not bitwise, the Flatten feature order differs)"
                                                        if not spec.bitwise else ")")
    return False, f"{where} exceeds {bound:.3g}"


def _params_bytes(net: Any) -> bytes:
    from ..io import mxnet_params

    params = net._collect_params_with_prefix()
    names = list(params)
    arrays = [np.ascontiguousarray(p.data().asnumpy()) for p in params.values()]
    data = mxnet_params.dumps(arrays, names)
    back, back_names = mxnet_params.loads(data, "<converted>")
    if back_names != names or any(a.tobytes() != b.tobytes() for a, b in zip(arrays, back)):
        raise ConvertError("internal check failed: the .params bytes do not read back to the same arrays")
    return data


def run(args: argparse.Namespace) -> int:
    from .convert_onnx import is_onnx_conversion, run_onnx

    paths = [args.src, args.dst] + ([args.dst2] if getattr(args, "dst2", None) else [])
    if is_onnx_conversion(paths):
        return run_onnx(args, paths)
    if len(paths) == 3:
        print("unidl convert: a third path is only for NET-symbol.json NET-0000.params MODEL.onnx", file=sys.stderr)
        return 2
    try:
        return _run(args)
    except ConvertError as e:
        print(f"unidl convert: {e}", file=sys.stderr)
        return e.status


def _run(args: argparse.Namespace) -> int:
    from ..nn.canonical import pair_units, transfer
    from .demo import DemoError, canonical, frontend

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
        keras, mx = frontend("keras"), frontend("mxnet")
        kc, gc = canonical("keras"), canonical("mxnet")
    except DemoError as e:
        raise ConvertError(str(e)) from e

    model = _load_keras(keras, arch if arch is not None else args.src)
    spec = _step("describing the Keras model in canonical terms", kc.describe, model)
    net = _step("building the Gluon twin", gc.build, spec)

    if dst_kind == "params":
        if src_kind == "weights.h5":
            _step(f"cannot load the weights '{args.src}' into '{arch}'", model.load_weights, args.src)
        _step("moving the Keras weights to the Gluon twin", transfer, kc.units(model, spec), gc.units(net), NAMES)
        ok, report = _verify(mx, model, spec, net, args.tolerance, pair_units(kc.units(model, spec), gc.units(net)))
        if not ok:
            raise ConvertError(f"verification failed, nothing written: {report}")
        data = _params_bytes(net)
        from ..io.atomic import write_bytes_atomic

        _step(f"cannot write '{args.dst}'", write_bytes_atomic, args.dst, data)
        say(f"{args.src} -> {args.dst}: {len(net._collect_params_with_prefix())} parameters "
            f"({', '.join(_first_names(net))}); {report}")
        return 0

    # .params -> Keras
    _step(f"cannot load '{args.src}' into the Gluon twin of '{arch}'", net.load_parameters, args.src)
    _step("moving the Gluon parameters to the Keras model", transfer, gc.units(net), kc.units(model, spec),
          NAMES[::-1])
    ok, report = _verify(mx, model, spec, net, args.tolerance, pair_units(gc.units(net), kc.units(model, spec)))
    if not ok:
        raise ConvertError(f"verification failed, nothing written: {report}")
    if dst_kind == "keras":
        _step(f"cannot write '{args.dst}'", keras.saving.save_model, model, args.dst, include_optimizer=False)
    else:
        _step(f"cannot write '{args.dst}'", model.save_weights, args.dst)
    say(f"{args.src} -> {args.dst}: {len(model.weights)} Keras weights; {report}")
    return 0


def _first_names(net: Any, n: int = 4) -> List[str]:
    names = list(net._collect_params_with_prefix())
    return names[:n] + (["..."] if len(names) > n else [])
