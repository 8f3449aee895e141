"""``mx.nd.contrib``: the commonly used contrib operators of MXNet 1.9.1 over :mod:`unidl.ops`, and its
imperative control flow (``foreach``, ``while_loop``, ``cond``, run as Python loops on NDArrays)."""
from __future__ import annotations

import math
from typing import Any, Callable, List, Optional, Sequence

import numpy as np

import unidl
from unidl import ops
from unidl.tensor import Tensor

from ..base import MXNetError, unsupported_attrs
from .math_ops import attach_backward
from .ndarray import NDArray, wrap
from .extra_ops import ctc_loss, CTCLoss  # noqa: F401

__all__ = ["isfinite", "isinf", "isnan", "arange_like", "index_copy", "boolean_mask", "allclose", "index_array",
           "div_sqrt_dim", "gradientmultiplier", "round_ste", "sign_ste", "quadratic", "foreach", "while_loop",
           "cond", "ctc_loss", "CTCLoss"]


def _t(op: str, data: Any) -> Tensor:
    if not isinstance(data, NDArray):
        raise MXNetError(f"contrib.{op}: expected an NDArray, got {type(data).__name__}")
    return data._t


def _flag(fn: Callable[[Tensor], Tensor], name: str) -> Callable[..., NDArray]:
    def op(data: NDArray, out: Optional[NDArray] = None, name: Optional[str] = None) -> NDArray:
        x = _t(op.__name__, data)
        return _out(wrap(ops.astype(fn(x), x.dtype)), out)

    op.__name__ = name
    op.__doc__ = f"Elementwise ``{name}`` as 1/0 in the input's dtype."
    return op


isfinite = _flag(ops.isfinite, "isfinite")
isinf = _flag(ops.isinf, "isinf")
isnan = _flag(ops.isnan, "isnan")


def arange_like(data: NDArray, start: float = 0.0, step: float = 1.0, repeat: int = 1, ctx: Any = None,
                axis: Optional[int] = None, out: Optional[NDArray] = None, name: Optional[str] = None) -> NDArray:
    """``start, start + step, ...`` shaped like ``data`` (or of length ``data.shape[axis]``), in its dtype."""
    x = _t("arange_like", data)
    n = x.size if axis is None else x.shape[axis]
    rep = max(int(repeat), 1)
    count = -(-n // rep)
    vals = unidl.arange(count, dtype=np.float64, device=x.device)
    vals = ops.add(ops.multiply(vals, float(step)), float(start))
    if rep > 1:
        vals = ops.slice_axis(ops.repeat(vals, rep), 0, 0, n)
    vals = ops.astype(vals, x.dtype)
    return _out(wrap(ops.reshape(vals, x.shape) if axis is None else vals), out)


def index_copy(old_tensor: NDArray, index_vector: NDArray, new_tensor: NDArray, out: Optional[NDArray] = None,
               name: Optional[str] = None) -> NDArray:
    """A copy of ``old_tensor`` with rows ``index_vector`` replaced by the rows of ``new_tensor``."""
    old, new = _t("index_copy", old_tensor), _t("index_copy", new_tensor)
    idx = ops.astype(_t("index_copy", index_vector), np.int64)
    if idx.ndim != 1 or new.shape != (idx.shape[0],) + old.shape[1:]:
        raise MXNetError(f"contrib.index_copy: expected index_vector (K,) and new_tensor (K,) + {old.shape[1:]}, "
                         f"got {idx.shape} and {new.shape}")
    res = ops.add(old.detach(), old.dtype.type(0))
    ops.setitem(res, idx, new.detach())
    return _out(wrap(res), out)


def boolean_mask(data: NDArray, index: NDArray, axis: int = 0, out: Optional[NDArray] = None,
                 name: Optional[str] = None) -> NDArray:
    """The slices of ``data`` along ``axis`` where ``index`` (1-d, that axis's length) is non-zero."""
    x = _t("boolean_mask", data)
    m = _t("boolean_mask", index)
    if m.ndim != 1 or m.shape[0] != x.shape[axis]:
        raise MXNetError(f"contrib.boolean_mask: index of shape {m.shape} does not match axis {axis} of data "
                         f"{x.shape}")
    keep = np.flatnonzero(m.numpy())
    return _out(wrap(ops.take(x, unidl.tensor(keep.astype(np.int64), device=x.device), axis=axis)), out)


def allclose(a: NDArray, b: NDArray, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = True,
             out: Optional[NDArray] = None, name: Optional[str] = None) -> NDArray:
    """1 if ``|a - b| <= atol + rtol * |b|`` everywhere (NaNs equal when ``equal_nan``), else 0 (shape ())."""
    ok = np.allclose(_t("allclose", a).numpy(), _t("allclose", b).numpy(), rtol=rtol, atol=atol, equal_nan=equal_nan)
    res = object.__new__(NDArray)
    res._t = unidl.tensor(np.array(ok, dtype=np.float32), device=a._t.device)
    return _out(res, out)


def index_array(data: NDArray, axes: Optional[Sequence[int]] = None, out: Optional[NDArray] = None,
                name: Optional[str] = None) -> NDArray:
    """The index of every element: shape data.shape + (len(axes),), int64 (all axes when None)."""
    x = _t("index_array", data)
    axes = tuple(range(x.ndim)) if axes is None else tuple(a % x.ndim for a in axes)
    grids = np.indices(x.shape, dtype=np.int64)
    res = np.stack([grids[a] for a in axes], axis=-1) if axes else np.zeros(x.shape + (0,), np.int64)
    return _out(wrap(unidl.tensor(res, device=x.device)), out)


def div_sqrt_dim(data: NDArray, out: Optional[NDArray] = None, name: Optional[str] = None) -> NDArray:
    """``data / sqrt(data.shape[-1])``."""
    x = _t("div_sqrt_dim", data)
    return _out(wrap(ops.divide(x, x.dtype.type(math.sqrt(x.shape[-1])))), out)


def gradientmultiplier(data: NDArray, scalar: float = 1.0, out: Optional[NDArray] = None,
                       name: Optional[str] = None) -> NDArray:
    """The identity forward; the gradient is multiplied by ``scalar`` on the way back."""
    x = _t("gradientmultiplier", data)
    res = attach_backward(ops.add(x, x.dtype.type(0)), (x,),
                          lambda node, o, g: (ops.multiply(g, g.dtype.type(scalar)),), "gradientmultiplier")
    return _out(wrap(res), out)


def _ste(fn: Callable[[Tensor], Tensor], name: str) -> Callable[..., NDArray]:
    def op(data: NDArray, out: Optional[NDArray] = None, name: Optional[str] = None) -> NDArray:
        x = _t(op.__name__, data)
        return _out(wrap(attach_backward(fn(x), (x,), lambda node, o, g: (g,), op.__name__)), out)

    op.__name__ = name
    op.__doc__ = f"``{name[:-4]}`` forward with a straight-through (identity) gradient."
    return op


def AdaptiveAvgPooling2D(data: NDArray, output_size: Any = (), out: Optional[NDArray] = None,  # noqa: N802
                         name: Optional[str] = None) -> NDArray:
    """Average pooling of (N, C, H, W) ``data`` to ``output_size`` (an int, ``(h, w)``, or empty for 1x1): output
    cell i of a dim of size n averages inputs ``floor(i n / o)`` to ``ceil((i + 1) n / o) - 1``, as MXNet."""
    x = _t("AdaptiveAvgPooling2D", data)
    if x.ndim != 4:
        raise MXNetError(f"AdaptiveAvgPooling2D: expected 4-D (N, C, H, W) data, got shape {tuple(x.shape)}")
    size = tuple(output_size) if isinstance(output_size, (list, tuple)) else (int(output_size),)
    if len(size) > 2:
        raise MXNetError(f"AdaptiveAvgPooling2D: output_size must be an int or (height, width), got {output_size!r}")
    hw = (1, 1) if not size else (size[0], size[0]) if len(size) == 1 else size
    return _out(wrap(ops.adaptive_avg_pool(x, tuple(int(v) for v in hw))), out)


round_ste = _ste(lambda x: ops.round(x), "round_ste")
sign_ste = _ste(ops.sign, "sign_ste")


def quadratic(data: NDArray, a: float = 0.0, b: float = 0.0, c: float = 0.0, out: Optional[NDArray] = None,
              name: Optional[str] = None) -> NDArray:
    """``a * data^2 + b * data + c``."""
    x = _t("quadratic", data)
    sc = x.dtype.type
    return _out(wrap(ops.add(ops.add(ops.multiply(ops.square(x), sc(a)), ops.multiply(x, sc(b))), sc(c))), out)


# -- control flow (imperative) -------------------------------------------------------------------------------

def _as_list(x: Any) -> tuple:
    if isinstance(x, NDArray):
        return [x], True
    return list(x), False


def foreach(body: Callable[..., Any], data: Any, init_states: Any) -> tuple:
    """Run ``body(data[i], states) -> (out, states)`` over the first axis of ``data``; returns the outputs
    stacked along a new first axis and the final states."""
    datas, single_data = _as_list(data)
    states = init_states
    outs: List[Any] = []
    n = datas[0].shape[0]
    for i in range(n):
        item = datas[0][i] if single_data else [d[i] for d in datas]
        out, states = body(item, states)
        outs.append(out)
    if not outs:
        raise MXNetError("contrib.foreach: data has length 0 along its first axis")
    first, single_out = _as_list(outs[0])
    stacked = [wrap(ops.stack([(o if single_out else o[k])._t for o in outs], axis=0)) for k in range(len(first))]
    return (stacked[0] if single_out else stacked), states


def while_loop(cond: Callable[..., Any], func: Callable[..., Any], loop_vars: Any,
               max_iterations: Optional[int] = None) -> tuple:
    """Run ``func(*loop_vars) -> (step_output, new_loop_vars)`` while ``cond(*loop_vars)`` holds, at most
    ``max_iterations`` times; the step outputs are stacked and padded with zeros to ``max_iterations`` rows."""
    if max_iterations is None:
        raise MXNetError("contrib.while_loop: max_iterations is required")
    lv, single = _as_list(loop_vars)
    outs: List[List[NDArray]] = []
    steps = 0
    while steps < int(max_iterations) and bool(_scalar(cond(*lv))):
        step_out, new_vars = func(*lv)
        so, _ = _as_list(step_out if step_out is not None else [])
        outs.append(so)
        lv, _ = _as_list(new_vars)
        steps += 1
    stacked = []
    if outs and outs[0]:
        for k in range(len(outs[0])):
            s = ops.stack([o[k]._t for o in outs], axis=0)
            pad = int(max_iterations) - steps
            if pad:
                s = ops.concatenate([s, unidl.zeros((pad,) + s.shape[1:], dtype=s.dtype, device=s.device)], axis=0)
            stacked.append(wrap(s))
    return stacked, (lv[0] if single else lv)


def cond(pred: Any, then_func: Callable[[], Any], else_func: Callable[[], Any]) -> Any:
    """``then_func()`` if ``pred`` (a one-element NDArray) is non-zero, else ``else_func()``."""
    return then_func() if bool(_scalar(pred)) else else_func()


def _scalar(x: Any) -> Any:
    return x.asnumpy().reshape(-1)[0] if isinstance(x, NDArray) else x


from .ops import _to_out as _out  # noqa: E402  (MXNet's out=: write into out and return it)


__getattr__ = unsupported_attrs("mxnet.ndarray.contrib", {
    name: "this contrib operator is not implemented by unidl_mxnet" for name in (
        "DeformableConvolution", "DeformablePSROIPooling", "ModulatedDeformableConvolution", "MultiBoxDetection",
        "MultiBoxPrior", "MultiBoxTarget", "MultiProposal", "PSROIPooling", "Proposal", "ROIAlign", "RROIAlign",
        "SyncBatchNorm", "bipartite_matching", "box_decode", "box_encode", "box_iou", "box_nms",
        "box_non_maximum_suppression", "count_sketch", "dgl_adjacency", "dgl_csr_neighbor_non_uniform_sample",
        "dgl_csr_neighbor_uniform_sample", "dgl_graph_compact", "dgl_subgraph", "edge_id", "fft", "ifft",
        "hawkesll", "quantize", "quantize_v2", "dequantize", "requantize", "calibrate_entropy",
        "interleaved_matmul_encdec_qk", "interleaved_matmul_encdec_valatt", "interleaved_matmul_selfatt_qk",
        "interleaved_matmul_selfatt_valatt", "adamw_update", "mp_adamw_update", "multi_adamw_update",
        "multi_mp_adamw_update", "multi_lamb_update", "multi_mp_lamb_update", "group_adagrad_update",
        "rand_zipfian", "getnnz", "BilinearResize2D", "SparseEmbedding",
        "BatchNormWithReLU")})
