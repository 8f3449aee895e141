"""Check an ONNX model before it is written: ``onnx.checker``, then ONNX Runtime against the unidl model.

:func:`verify_and_write` serialises the model, checks it (full check, with shape inference), runs it in an
ONNX Runtime session on a probe batch, compares every output with the unidl model's (the largest absolute
difference must be within ``tolerance`` times max(1, max |output|); 1e-5 by default, float32) and only then
writes the file, atomically. A failure raises :class:`~unidl.onnx.OnnxError` and writes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np

from . import OnnxError, require

__all__ = ["Report", "check_model", "run_onnx", "compare", "verify_and_write", "verify_import", "probe_for"]

TOLERANCE = 1e-5


@dataclass
class Report:
    """What a verification measured: the largest absolute output difference and the probe batch's shapes."""

    max_diff: float
    bound: float
    shapes: List[tuple]
    path: Optional[str] = None

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return (f"{where}onnx.checker ok; ONNX Runtime vs unidl on probe {', '.join(map(str, self.shapes))}: "
                f"max |diff| {self.max_diff:.3g} (bound {self.bound:.3g})")


def check_model(model: Any) -> bytes:
    """The serialised model after ``onnx.checker.check_model(full_check=True)``."""
    onnx = require()
    data = model.SerializeToString()
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as e:  # noqa: BLE001 - the checker's own error types vary between versions
        raise OnnxError(f"onnx.checker rejected the exported model: {type(e).__name__}: {e}") from None
    return data


def run_onnx(data: bytes, feeds: Dict[str, np.ndarray]) -> List[np.ndarray]:
    """Run a serialised model with ONNX Runtime (CPU) on ``feeds``."""
    try:
        import onnxruntime as ort
    except ImportError as e:  # pragma: no cover
        raise ImportError("checking ONNX models needs 'onnxruntime': pip install 'unidl[onnx]'") from e
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    try:
        sess = ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])
        return [np.asarray(o) for o in sess.run(None, feeds)]
    except Exception as e:  # noqa: BLE001 - onnxruntime raises its own exception classes
        raise OnnxError(f"ONNX Runtime could not run the model: {type(e).__name__}: {e}") from None


def compare(ours: Sequence[np.ndarray], theirs: Sequence[np.ndarray], tolerance: float = TOLERANCE,
            what: str = "unidl") -> tuple:
    """(max |diff|, bound); raises when shapes differ, values are not finite or the difference is too big."""
    if len(ours) != len(theirs):
        raise OnnxError(f"the ONNX model has {len(theirs)} outputs, the {what} model {len(ours)}")
    worst, bound = 0.0, 0.0
    for i, (a, b) in enumerate(zip(ours, theirs)):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            raise OnnxError(f"output {i}: ONNX Runtime gives shape {b.shape}, the {what} model {a.shape}")
        if a.size == 0:
            continue
        if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
            raise OnnxError(f"output {i}: values are not finite on the probe batch")
        d = float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64))))
        bnd = tolerance * max(1.0, float(np.max(np.abs(a.astype(np.float64)))))
        if d > bnd:
            raise OnnxError(f"output {i}: ONNX Runtime and the {what} model differ by {d:.3g} on the probe batch "
                            f"(bound {bnd:.3g})")
        worst, bound = max(worst, d), max(bound, bnd)
    return worst, bound


def probe_for(shape: Sequence[Optional[int]], dtype: Any, batch: int = 2, vocab: int = 0, seed: int = 0
              ) -> np.ndarray:
    """A fixed probe batch: standard normal floats, or ids below ``vocab`` (2 when unknown) for integer inputs
    and for any input with a ``vocab``;
    None dims are ``batch`` for axis 0 and 3 elsewhere."""
    rng = np.random.default_rng(seed)
    full = tuple((batch if i == 0 else 3) if d is None else int(d) for i, d in enumerate(shape))
    dt = np.dtype(dtype)
    if dt.kind in "iu" or vocab > 0:   # token ids (MXNet feeds them as floats)
        return rng.integers(0, max(vocab, 2), size=full).astype(dt)
    return rng.standard_normal(full).astype(dt)


def verify_and_write(model: Any, path: Optional[str], reference: Callable[[List[np.ndarray]], Sequence[np.ndarray]],
                     probes: List[np.ndarray], tolerance: float = TOLERANCE) -> Report:
    """Check ``model``, compare ONNX Runtime with ``reference(probes)`` and write ``path`` (atomically) only if
    both pass. Returns the :class:`Report`."""
    data = check_model(model)
    feeds = {vi.name: p for vi, p in zip(model.graph.input, probes)}
    theirs = run_onnx(data, feeds)
    ours = [np.asarray(o) for o in reference(probes)]
    d, bound = compare(ours, theirs, tolerance)
    if path is not None:
        from ..io.atomic import write_bytes_atomic

        write_bytes_atomic(path, data)
    return Report(d, bound, [tuple(p.shape) for p in probes], path)


def verify_import(graph: Any, model: Any, face: str, tolerance: float = TOLERANCE) -> Report:
    """Run an imported model and ONNX Runtime (on the file's bytes) on a probe batch; raise if they differ."""
    probes = [probe_for(shape, dtype, vocab=graph.vocab_for(name)) for name, dtype, shape in graph.inputs]
    theirs = run_onnx(graph.data, {name: p for (name, _, _), p in zip(graph.inputs, probes)})
    if face == "keras":
        from unidl_keras._onnx import run_model
    else:
        from unidl_mxnet.onnx._import import run_model
    ours = run_model(model, probes)
    d, bound = compare(ours, theirs, tolerance, what=f"imported {face}")
    return Report(d, bound, [tuple(p.shape) for p in probes])
