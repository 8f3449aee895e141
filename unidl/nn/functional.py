"""Layer math shared by the Keras and Gluon frontends: dense, convolution, recurrent cells and
layers, attention. Everything computes with :mod:`unidl.ops`, so it runs on any device and is
differentiable; a frontend only maps its names, defaults and weight layouts onto these functions.

Weight layouts. The core's canonical layout is Keras's "io": a dense kernel is (in, out) and a
recurrent input kernel (in, G*H) with the gates side by side. Gluon/MXNet stores (out, in) ("oi");
pass ``transpose_kernel=True`` to :func:`dense` or ``weights_layout="oi"`` to the recurrent
functions and the weight is used through an exact transpose (a view, no arithmetic).

Recurrent conventions (both frameworks):
  * LSTM gates i, f, c(g), o. Keras has one bias (pass it as ``b_ih``), MXNet two (``b_ih``, ``b_hh``);
    the two are added once before the recurrence.
  * GRU: ``gate_order="zrh"`` (Keras, kernel columns z, r, h) or ``"rzn"`` (MXNet, r, z, n); the
    gate blocks are gathered into one internal order (z, r, h) first, so both run the same arithmetic.
    ``reset_after=True`` (Keras 3's default; MXNet's only form) applies the reset gate after the
    recurrent matmul: ``hh = tanh(x_h + r * (h @ U_h + b_hh_h))``; ``reset_after=False`` (Keras's
    older form) before it: ``hh = tanh(x_h + (r * h) @ U_h)``. Then ``h' = z * h + (1 - z) * hh``.
  * Sequences are batch-first (N, T, F) unless ``time_major=True`` (T, N, F) (Gluon's TNC).
  * ``mask`` (N, T) (or (T, N) when time major), True = a real step. Where False, the state is
    carried through unchanged and the step's output is the previous output (Keras; zeros before the
    first real step, even with an initial state), or zeros with ``zero_output_for_mask=True``.
  * ``reverse=True`` runs from the last step to the first; outputs stay aligned with the input time
    axis (``out[:, t]`` is the state after consuming ``x[:, t]``). Keras's ``go_backwards`` returns
    the sequence in processing order: ``ops.flip(out, 1)`` of this.
"""
from __future__ import annotations

import functools
import math
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

import numpy as np

from .. import ops
from ..autograd import no_grad
from ..errors import OpError
from ..ops._core import apply, unary
from ..ops.shape import TRANSPOSE as _TRANSPOSE, _transpose_bwd
from ..ops.index import TAKE
from ..ops.rnn import _lstm_replay, lstm_sequence
from ..tensor import Tensor

__all__ = ["dense", "conv_nd", "lstm_cell", "gru_cell", "simple_rnn_cell", "lstm", "gru", "simple_rnn",
           "scaled_dot_product_attention", "multi_head_attention", "get_activation"]

IntOrSeq = Union[int, Sequence[int]]

_ACTIVATIONS = {
    "tanh": ops.tanh, "relu": ops.relu, "sigmoid": ops.sigmoid, "softplus": ops.softplus, "elu": ops.elu,
    "selu": ops.selu, "gelu": ops.gelu, "silu": ops.silu, "swish": ops.silu, "hard_sigmoid": ops.hard_sigmoid,
    "linear": None, None: None,
}


def get_activation(activation: Union[str, Callable[[Tensor], Tensor], None]) -> Optional[Callable[[Tensor], Tensor]]:
    """An activation by name (``'tanh'``, ``'relu'``, ``'sigmoid'``, ...; ``'linear'``/None -> None) or as given."""
    if callable(activation):
        return activation
    try:
        return _ACTIVATIONS[activation]
    except (KeyError, TypeError):
        raise OpError("activation", f"unknown activation {activation!r}; expected one of "
                      f"{sorted(k for k in _ACTIVATIONS if k)} or a callable") from None


def _act(fn: Optional[Callable[[Tensor], Tensor]], x: Tensor) -> Tensor:
    return x if fn is None else fn(x)


# -- dense ----------------------------------------------------------------------------------------------

def dense(x: Tensor, kernel: Tensor, bias: Optional[Tensor] = None, transpose_kernel: bool = False) -> Tensor:
    """Fully connected layer ``x @ kernel + bias`` on the last axis.

    Shapes: x (..., I); kernel (I, O) (Keras), or (O, I) with ``transpose_kernel=True`` (Gluon's
    weight, used through an exact transpose); bias (O,) or None -> (..., O).
    """
    # (shapes are read off the arrays: this runs once per layer call, in both faces)
    if not isinstance(kernel, Tensor) or kernel.data.ndim != 2:
        raise OpError("dense", "kernel must be a 2-D Tensor", shapes=[getattr(t, "shape", ()) for t in (x, kernel)])
    # Gluon's (out, in) weight: the transpose kernel call of ``ops.transpose(kernel)``, less its checks
    w = unary(_TRANSPOSE, _transpose_bwd, kernel, axes=(1, 0)) if transpose_kernel else kernel
    ws = w.data.shape
    if not isinstance(x, Tensor) or x.data.ndim == 0 or x.data.shape[-1] != ws[0]:
        lay = "(out, in)" if transpose_kernel else "(in, out)"
        raise OpError("dense", f"the last dim of x must equal the kernel's 'in' dim {ws[0]} (kernel layout "
                      f"{lay})", shapes=[getattr(t, "shape", ()) for t in (x, kernel)])
    y = ops.matmul(x, w)
    if bias is None:
        return y
    if (bias.data.shape if isinstance(bias, Tensor) else getattr(bias, "shape", None)) != (ws[1],):
        raise OpError("dense", f"bias must have shape ({ws[1]},)",
                      shapes=(x.shape, kernel.shape, getattr(bias, "shape", ())))
    return ops.add(y, bias)


# -- convolution ----------------------------------------------------------------------------------------

def conv_nd(x: Tensor, w: Tensor, b: Optional[Tensor] = None, stride: IntOrSeq = 1, padding: Any = "valid",
            dilation: IntOrSeq = 1, groups: int = 1, data_format: str = "channels_first",
            kernel_layout: Optional[str] = None) -> Tensor:
    """N-d convolution in either data format, computed by :func:`unidl.ops.conv` (channels-first).

    Shapes: channels_first x (N, C, *S) -> (N, O, *out); channels_last x (N, *S, C) -> (N, *out, O).
    ``kernel_layout``: "oi" for (O, C/groups, *K) (Gluon, canonical) or "io" for (*K, C/groups, O)
    (Keras); default "io" for channels_last and "oi" for channels_first. b (O,) or None.
    ``padding``: 'valid', 'same' (TensorFlow's rule: total ``max((ceil(S/s)-1)*s + d*(K-1) + 1 - S, 0)``,
    the odd extra on the high side), an int, ints, or (lo, hi) pairs. Layout changes are exact transposes.
    """
    if not isinstance(x, Tensor) or not isinstance(w, Tensor):
        raise OpError("conv_nd", "x and w must be unidl Tensors")
    fmt = data_format.lower()
    if fmt not in ("channels_first", "channels_last"):
        raise OpError("conv_nd", f"data_format must be 'channels_first' or 'channels_last', got {data_format!r}",
                      shapes=(x.shape, w.shape))
    layout = kernel_layout or ("io" if fmt == "channels_last" else "oi")
    if layout not in ("io", "oi"):
        raise OpError("conv_nd", f"kernel_layout must be 'io' or 'oi', got {kernel_layout!r}",
                      shapes=(x.shape, w.shape))
    nd = x.data.ndim - 2
    if nd < 1 or w.data.ndim != nd + 2:
        raise OpError("conv_nd", "expected x with batch, channel and >= 1 spatial dims and a kernel of the same rank",
                      shapes=(x.shape, w.shape))
    if layout == "io":  # (*K, C, O) -> (O, C, *K)
        w = ops.transpose(w, (nd + 1, nd) + tuple(range(nd)))
    if fmt == "channels_last":
        x = ops.transpose(x, (0, nd + 1) + tuple(range(1, nd + 1)))
    y = ops.conv(x, w, b, stride, padding, dilation, groups)
    if fmt == "channels_last":
        y = ops.transpose(y, (0,) + tuple(range(2, nd + 2)) + (1,))
    return y


# -- normalization ----------------------------------------------------------------------------------------

def masked_batch_norm(x: Tensor, mask: Any, gamma: Optional[Tensor], beta: Optional[Tensor],
                      running_mean: Optional[Tensor], running_var: Optional[Tensor], *, axis: int = -1,
                      momentum: float = 0.99, eps: float = 1e-3) -> Tensor:
    """Training-mode batch normalisation whose statistics leave out masked entries (Keras's masked path).

    Shapes: x (N, ..., C, ...) with the channel ``axis``; mask (N, ...) over x's leading axes (True / 1 =
    counted), broadcast over the rest; gamma, beta, running stats (C,) or None. The mean and the biased
    variance are mask-weighted (a count below 1 counts as 1); the running statistics are updated in place as
    ``running * momentum + stat * (1 - momentum)``; the output is ``(x - mean) / sqrt(var + eps) * gamma + beta``.
    """
    ax = axis % x.ndim
    red = tuple(i for i in range(x.ndim) if i != ax)
    w = mask if isinstance(mask, Tensor) else Tensor._from_any(mask, x.device)
    w = ops.astype(w, x.dtype)
    while w.ndim < x.ndim:
        w = ops.expand_dims(w, -1)
    w = ops.broadcast_to(w, x.shape)
    count = ops.maximum(ops.sum(w, axis=red, keepdims=True), 1.0)
    mean = ops.divide(ops.sum(ops.multiply(x, w), axis=red, keepdims=True), count)
    xc = ops.subtract(x, mean)
    var = ops.divide(ops.sum(ops.multiply(ops.square(xc), w), axis=red, keepdims=True), count)
    c = x.shape[ax]
    with no_grad():
        for r, stat in ((running_mean, mean), (running_var, var)):
            if r is not None:
                new = ops.add(ops.multiply(r.detach(), momentum), ops.multiply(ops.reshape(stat, (c,)), 1.0 - momentum))
                ops.setitem(r, Ellipsis, new)
    pshape = tuple(d if i == ax else 1 for i, d in enumerate(x.shape))
    y = ops.divide(xc, ops.sqrt(ops.add(var, eps)))
    if gamma is not None:
        y = ops.multiply(y, ops.reshape(gamma, pshape))
    if beta is not None:
        y = ops.add(y, ops.reshape(beta, pshape))
    return y


def batch_renorm(x: Tensor, gamma: Optional[Tensor], beta: Optional[Tensor], moving_mean: Tensor,
                 moving_variance: Tensor, moving_stddev: Tensor, renorm_mean: Tensor, renorm_stddev: Tensor, *,
                 axis: int = -1, momentum: float = 0.99, renorm_momentum: float = 0.99, eps: float = 1e-3,
                 rmin: Optional[float] = None, rmax: Optional[float] = None, dmax: Optional[float] = None) -> Tensor:
    """Training-mode batch renormalisation (Ioffe 2017), as Keras's ``BatchNormalization(renorm=True)``.

    Shapes: x (N, ..., C, ...) with the channel ``axis``; gamma, beta (C,) or None; the five statistics (C,).
    With the batch mean ``m``, biased variance ``v`` and ``s = sqrt(v + eps)``, the corrections
    ``r = s / max(renorm_stddev, sqrt(eps))`` (clipped to [rmin, rmax]) and
    ``d = (m - renorm_mean) / max(renorm_stddev, sqrt(eps))`` (clipped to [-dmax, dmax]) are constants for
    autograd; the output is ``(x - m) / s * (r * gamma) + (d * gamma + beta)``. Then, in place:
    renorm_mean/renorm_stddev move toward m/s with ``renorm_momentum``, moving_mean/moving_stddev with
    ``momentum``, and ``moving_variance = relu(moving_stddev**2 - eps)`` (what inference uses).
    """
    ax = axis % x.ndim
    red = tuple(i for i in range(x.ndim) if i != ax)
    c = x.shape[ax]
    pshape = tuple(d if i == ax else 1 for i, d in enumerate(x.shape))
    mean = ops.mean(x, axis=red, keepdims=True)
    xc = ops.subtract(x, mean)
    var = ops.mean(ops.square(xc), axis=red, keepdims=True)
    std = ops.sqrt(ops.add(var, eps))
    with no_grad():
        m, s = ops.reshape(mean.detach(), (c,)), ops.reshape(std.detach(), (c,))
        rs = ops.maximum(renorm_stddev.detach(), math.sqrt(eps))
        r = ops.divide(s, rs)
        d = ops.divide(ops.subtract(m, renorm_mean.detach()), rs)
        if rmin is not None:
            r = ops.maximum(r, float(rmin))
        if rmax is not None:
            r = ops.minimum(r, float(rmax))
        if dmax is not None:
            d = ops.clip(d, -float(dmax), float(dmax))
    scale, shift = r, d
    if gamma is not None:
        scale, shift = ops.multiply(r, gamma), ops.multiply(d, gamma)
    if beta is not None:
        shift = ops.add(shift, beta)
    y = ops.add(ops.multiply(ops.divide(xc, std), ops.reshape(scale, pshape)), ops.reshape(shift, pshape))
    with no_grad():
        def moved(stat: Tensor, new: Tensor, mom: float) -> Tensor:
            return ops.add(ops.multiply(stat.detach(), mom), ops.multiply(new, 1.0 - mom))

        ops.setitem(renorm_mean, Ellipsis, moved(renorm_mean, m, renorm_momentum))
        ops.setitem(renorm_stddev, Ellipsis, moved(renorm_stddev, s, renorm_momentum))
        ops.setitem(moving_mean, Ellipsis, moved(moving_mean, m, momentum))
        new_std = moved(moving_stddev, s, momentum)
        ops.setitem(moving_stddev, Ellipsis, new_std)
        ops.setitem(moving_variance, Ellipsis, ops.relu(ops.subtract(ops.square(new_std), eps)))
    return y


# -- recurrent cells ------------------------------------------------------------------------------------

def _io(w: Tensor, layout: str, name: str) -> Tensor:
    if layout == "io":
        return w
    if layout == "oi":
        return ops.transpose(w)
    raise OpError(name, f"weights_layout must be 'io' (Keras: (in, G*H)) or 'oi' (Gluon: (G*H, in)), got {layout!r}")


def _bias(b_ih: Optional[Tensor], b_hh: Optional[Tensor]) -> Optional[Tensor]:
    if b_ih is None:
        return b_hh
    return b_ih if b_hh is None else ops.add(b_ih, b_hh)


def _check_rnn(name: str, x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, gates: int) -> int:
    for nm, t in (("x", x), ("h", h), ("w_ih", w_ih), ("w_hh", w_hh)):
        if not isinstance(t, Tensor):
            raise OpError(name, f"{nm} must be a unidl Tensor, got {type(t).__name__}")
    H = h.shape[-1]
    shapes = (x.shape, h.shape, w_ih.shape, w_hh.shape)
    if w_ih.shape != (x.shape[-1], gates * H) or w_hh.shape != (H, gates * H):
        raise OpError(name, f"expected w_ih ({x.shape[-1]}, {gates * H}) and w_hh ({H}, {gates * H}) (after the "
                      f"layout transpose) for x with {x.shape[-1]} features and state size {H}", shapes=shapes)
    return H


def lstm_cell(x: Tensor, h: Tensor, c: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Optional[Tensor] = None,
              b_hh: Optional[Tensor] = None, weights_layout: str = "io") -> Tuple[Tensor, Tensor]:
    """One LSTM step, gates i, f, c(g), o. Returns ``(h', c')``.

    ``z = x @ w_ih + b_ih + h @ w_hh + b_hh``; ``i, f, o = sigmoid``; ``g = tanh``;
    ``c' = f * c + i * g``; ``h' = o * tanh(c')``.
    Shapes: x (N, I), h and c (N, H), w_ih (I, 4H), w_hh (H, 4H) (or (4H, I), (4H, H) with
    ``weights_layout="oi"``), biases (4H,) -> (N, H), (N, H).
    """
    w_ih, w_hh = _io(w_ih, weights_layout, "lstm_cell"), _io(w_hh, weights_layout, "lstm_cell")
    _check_rnn("lstm_cell", x, h, w_ih, w_hh, 4)
    z = ops.add(ops.matmul(x, w_ih), ops.matmul(h, w_hh))
    b = _bias(b_ih, b_hh)
    if b is not None:
        z = ops.add(z, b)
    zi, zf, zg, zo = ops.split(z, 4, axis=-1)
    c2 = ops.add(ops.multiply(ops.sigmoid(zf), c), ops.multiply(ops.sigmoid(zi), ops.tanh(zg)))
    h2 = ops.multiply(ops.sigmoid(zo), ops.tanh(c2))
    return h2, c2


def _gru_order(gate_order: str) -> str:
    go = {"keras": "zrh", "mxnet": "rzn", "gluon": "rzn"}.get(gate_order, gate_order)
    if go not in ("zrh", "rzn"):
        raise OpError("gru", f"gate_order must be 'zrh' (Keras) or 'rzn' (MXNet), got {gate_order!r}")
    return go


@functools.lru_cache(maxsize=64)
def _rzn_to_zrh(H: int) -> Tuple[Any, Tuple[int, ...]]:
    """Column indices that reorder gate blocks r, z, n as z, r, n (and the inverse, the same permutation)."""
    order = tuple(range(H, 2 * H)) + tuple(range(H)) + tuple(range(2 * H, 3 * H))
    return np.asarray(order, dtype=np.int64), order


def _permute_last(t: Tensor, idx: Any, inv: Any) -> Tensor:
    """``t[..., idx]`` for a permutation ``idx`` of the last axis, exact in both directions: the gradient
    is ``g[..., inv]`` (a gather, not a scatter-add into zeros, so even signed zeros come back as they were)."""
    def bwd(node: Any, out: Tensor, g: Tensor) -> Tuple[Tensor, None]:
        return _permute_last(g, inv, idx), None

    it = Tensor._from_any(idx, t.device)
    return apply(TAKE, bwd, (t, it), {"axis": t.ndim - 1, "mode": "raise"})


def _gru_canonical(order: str, H: int, *ts: Optional[Tensor]) -> List[Optional[Tensor]]:
    """Weights/biases with gate blocks in the core's one order z, r, h (Keras's; MXNet's r, z, n permuted).

    The recurrence then runs the same arithmetic for both frameworks, backward included: ``dx = g W^T``
    and ``dh = g U^T`` sum the 3H gate entries in one order (the frameworks' own orders would sum them
    differently). The permutation is a gather, once per call; its gradient is exact.
    """
    if order == "zrh":
        return list(ts)
    idx, _ = _rzn_to_zrh(H)
    return [None if t is None else _permute_last(t, idx, idx) for t in ts]  # the swap is its own inverse


def _gru_step(xz: Tensor, h: Tensor, w_hh: Tensor, b_hh: Optional[Tensor], reset_after: bool,
              act: Optional[Callable], rec_act: Optional[Callable]) -> Tensor:
    """GRU update from the input projection ``xz = x @ w_ih + b_ih`` (N, 3H); gates in order z, r, h."""
    H = h.shape[-1]
    xz_, xr, xh = ops.split(xz, 3, axis=-1)
    if reset_after:
        rec = ops.matmul(h, w_hh)
        if b_hh is not None:
            rec = ops.add(rec, b_hh)
        rz, rr, rh = ops.split(rec, 3, axis=-1)
        z = _act(rec_act, ops.add(xz_, rz))
        r = _act(rec_act, ops.add(xr, rr))
        hh = _act(act, ops.add(xh, ops.multiply(r, rh)))
    else:
        w_zr, wh = ops.split(w_hh, [2 * H], axis=-1)
        rec = ops.matmul(h, w_zr)
        bh = None
        if b_hh is not None:
            b_zr, bh = ops.split(b_hh, [2 * H], axis=-1)
            rec = ops.add(rec, b_zr)
        rz, rr = ops.split(rec, [H], axis=-1)
        z = _act(rec_act, ops.add(xz_, rz))
        r = _act(rec_act, ops.add(xr, rr))
        rh = ops.matmul(ops.multiply(r, h), wh)
        if bh is not None:
            rh = ops.add(rh, bh)
        hh = _act(act, ops.add(xh, rh))
    return ops.add(ops.multiply(z, h), ops.multiply(ops.subtract(1.0, z), hh))


def gru_cell(x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Optional[Tensor] = None,
             b_hh: Optional[Tensor] = None, reset_after: bool = True, gate_order: str = "zrh",
             weights_layout: str = "io", activation: Any = "tanh", recurrent_activation: Any = "sigmoid") -> Tensor:
    """One GRU step. Returns ``h'`` (N, H).

    ``gate_order`` names the column blocks of w_ih, w_hh and the biases: "zrh" (Keras: update,
    reset, candidate) or "rzn" (MXNet: reset, update, new); either is gathered into the core's one
    order (z, r, h) before the matmuls, so both frameworks run the same arithmetic. With
    ``reset_after`` (Keras 3 default, MXNet): ``hh = tanh(x W_h + b_ih_h + r * (h U_h + b_hh_h))``;
    otherwise ``hh = tanh(x W_h + b_ih_h + (r * h) U_h + b_hh_h)``. ``h' = z * h + (1 - z) * hh``.
    Shapes: x (N, I), h (N, H), w_ih (I, 3H), w_hh (H, 3H) (transposed with
    ``weights_layout="oi"``), b_ih, b_hh (3H,) or None (Keras's (2, 3H) bias is ``b[0], b[1]``).
    """
    order = _gru_order(gate_order)
    w_ih, w_hh = _io(w_ih, weights_layout, "gru_cell"), _io(w_hh, weights_layout, "gru_cell")
    H = _check_rnn("gru_cell", x, h, w_ih, w_hh, 3)
    w_ih, w_hh, b_ih, b_hh = _gru_canonical(order, H, w_ih, w_hh, b_ih, b_hh)
    xz = ops.matmul(x, w_ih)
    if b_ih is not None:
        xz = ops.add(xz, b_ih)
    return _gru_step(xz, h, w_hh, b_hh, reset_after, get_activation(activation), get_activation(recurrent_activation))


def simple_rnn_cell(x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Optional[Tensor] = None,
                    b_hh: Optional[Tensor] = None, activation: Any = "tanh", weights_layout: str = "io") -> Tensor:
    """One Elman RNN step ``h' = activation(x @ w_ih + b_ih + h @ w_hh + b_hh)``.

    Shapes: x (N, I), h (N, H), w_ih (I, H), w_hh (H, H) (transposed with ``weights_layout="oi"``),
    biases (H,) or None -> (N, H). ``activation``: a name (Keras 'tanh', MXNet 'relu'/'tanh') or callable.
    """
    w_ih, w_hh = _io(w_ih, weights_layout, "simple_rnn_cell"), _io(w_hh, weights_layout, "simple_rnn_cell")
    _check_rnn("simple_rnn_cell", x, h, w_ih, w_hh, 1)
    z = ops.add(ops.matmul(x, w_ih), ops.matmul(h, w_hh))
    b = _bias(b_ih, b_hh)
    if b is not None:
        z = ops.add(z, b)
    return _act(get_activation(activation), z)


# -- recurrent layers (whole sequences) ------------------------------------------------------------------

def _seq_prep(name: str, x: Tensor, w_ih: Tensor, b: Optional[Tensor], mask: Any, time_major: bool
              ) -> Tuple[Tensor, Optional[Tensor]]:
    """The input projection of every step with one matmul, time-major: (T, N, G*H); the mask as (T, N) bool."""
    if not isinstance(x, Tensor) or x.ndim != 3:
        raise OpError(name, "expected x of shape (N, T, F) (or (T, N, F) when time_major)",
                      shapes=(getattr(x, "shape", ()),))
    if x.shape[-1] != w_ih.shape[0]:
        raise OpError(name, f"x has {x.shape[-1]} features but w_ih expects {w_ih.shape[0]}",
                      shapes=(x.shape, w_ih.shape))
    xt = x if time_major else ops.transpose(x, (1, 0, 2))
    T, N = xt.shape[0], xt.shape[1]
    # One (T*N, F) @ (F, G*H) GEMM: its weight gradient is one GEMM too (a batched matmul would make
    # T per-step products and sum them).
    xw = ops.matmul(ops.reshape(xt, (T * N, xt.shape[2])), w_ih)
    if b is not None:
        xw = ops.add(xw, b)
    xw = ops.reshape(xw, (T, N, w_ih.shape[1]))
    m = None
    if mask is not None:
        m = mask if isinstance(mask, Tensor) else Tensor._from_any(mask, x.device)
        want = xt.shape[:2] if time_major else (xt.shape[1], xt.shape[0])
        if m.shape != want:
            raise OpError(name, f"expected a mask of shape {want} ({'time, batch' if time_major else 'batch, time'})",
                          shapes=(x.shape, m.shape))
        if m.dtype.kind != "b":
            m = ops.not_equal(m, 0)
        if not time_major:
            m = ops.transpose(m)
    return xw, m


def _seq_out(name: str, hs: Tensor, m: Optional[Tensor], h0_given: bool, reverse: bool, zero_output_for_mask: bool,
             return_sequences: bool, time_major: bool) -> Tensor:
    """Outputs (T, N, H) time-major -> the layer output (sequence or last processed step).

    ``hs`` holds the carried state at masked steps. Keras's rule for the output there is the previous
    *output*, which is zeros before the first real step (in processing order) even when an initial
    state was given; so with ``h0_given`` those leading masked steps are zeroed here.
    """
    if m is not None and zero_output_for_mask:
        hs = ops.where(ops.expand_dims(m, -1), hs, 0.0)
    elif m is not None and h0_given:
        seen = ops.greater(ops.cumsum(ops.astype(m, "int32"), axis=0, reverse=reverse), 0)
        hs = ops.where(ops.expand_dims(seen, -1), hs, 0.0)
    if not return_sequences:
        return hs[0] if reverse else hs[hs.shape[0] - 1]
    return hs if time_major else ops.transpose(hs, (1, 0, 2))


def lstm(x: Tensor, h0: Optional[Tensor], c0: Optional[Tensor], w_ih: Tensor, w_hh: Tensor,
         b_ih: Optional[Tensor] = None, b_hh: Optional[Tensor] = None, time_major: bool = False,
         reverse: bool = False, mask: Any = None, return_sequences: bool = True,
         zero_output_for_mask: bool = False, weights_layout: str = "io", fused: bool = True
         ) -> Tuple[Tensor, Tensor, Tensor]:
    """An LSTM layer over a whole sequence (gates i, f, c(g), o; see :func:`lstm_cell`).

    The input projection of all steps is one matmul; the recurrence then runs in the fused op
    :func:`unidl.ops.rnn.lstm_sequence` (two kernel calls per train step for the whole sequence), or
    op by op with ``fused=False`` (same math, for checking).

    Shapes: x (N, T, I) ((T, N, I) with ``time_major``), h0 and c0 (N, H) or None (zeros), w_ih
    (I, 4H), w_hh (H, 4H) (transposed with ``weights_layout="oi"``), biases (4H,) or None, mask
    (N, T) ((T, N) with ``time_major``) bool or None.
    Returns ``(out, h_T, c_T)``: out (N, T, H) / (T, N, H) when ``return_sequences``, else the last
    processed step's output (N, H); h_T, c_T (N, H) the final states.
    """
    w_ih, w_hh = _io(w_ih, weights_layout, "lstm"), _io(w_hh, weights_layout, "lstm")
    H = w_hh.shape[0]
    if w_hh.shape != (H, 4 * H) or w_ih.ndim != 2 or w_ih.shape[1] != 4 * H:
        raise OpError("lstm", f"expected w_ih (I, {4 * H}) and w_hh ({H}, {4 * H}) (after the layout transpose)",
                      shapes=(w_ih.shape, w_hh.shape))
    xw, m = _seq_prep("lstm", x, w_ih, _bias(b_ih, b_hh), mask, time_major)
    T = xw.shape[0]
    if T == 0:
        raise OpError("lstm", "the sequence has no time steps", shapes=(x.shape,))
    h0_given = h0 is not None
    if h0 is None or c0 is None:
        z = ops.zeros_like(xw[0][:, :H])
        h0 = z if h0 is None else h0
        c0 = z if c0 is None else c0
    y = lstm_sequence(xw, h0, c0, w_hh, m, reverse) if fused else _lstm_replay(xw, h0, c0, w_hh, m, reverse)
    last = 0 if reverse else T - 1
    out = _seq_out("lstm", y[0], m, h0_given, reverse, zero_output_for_mask, return_sequences, time_major)
    return out, y[0, last], y[1, last]


def _loop(step: Callable[[Tensor, Tensor], Tensor], xw: Tensor, h0: Tensor, m: Optional[Tensor], reverse: bool
          ) -> Tuple[Tensor, Tensor]:
    T = xw.shape[0]
    hs: List[Any] = [None] * T
    h = h0
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        hn = step(xw[t], h)
        if m is not None:
            hn = ops.where(ops.expand_dims(m[t], -1), hn, h)
        h = hs[t] = hn
    return ops.stack(hs, 0), h


def gru(x: Tensor, h0: Optional[Tensor], w_ih: Tensor, w_hh: Tensor, b_ih: Optional[Tensor] = None,
        b_hh: Optional[Tensor] = None, reset_after: bool = True, gate_order: str = "zrh", time_major: bool = False,
        reverse: bool = False, mask: Any = None, return_sequences: bool = True, zero_output_for_mask: bool = False,
        weights_layout: str = "io", activation: Any = "tanh", recurrent_activation: Any = "sigmoid"
        ) -> Tuple[Tensor, Tensor]:
    """A GRU layer over a whole sequence (see :func:`gru_cell` for gate orders and ``reset_after``).

    Shapes: x (N, T, I) ((T, N, I) with ``time_major``), h0 (N, H) or None, w_ih (I, 3H), w_hh (H, 3H),
    biases (3H,) or None, mask (N, T) bool or None. Returns ``(out, h_T)``: out (N, T, H) / (T, N, H)
    or (N, H) without ``return_sequences``; h_T (N, H).
    """
    order = _gru_order(gate_order)
    w_ih, w_hh = _io(w_ih, weights_layout, "gru"), _io(w_hh, weights_layout, "gru")
    H = w_hh.shape[0]
    if w_hh.shape != (H, 3 * H) or w_ih.ndim != 2 or w_ih.shape[1] != 3 * H:
        raise OpError("gru", f"expected w_ih (I, {3 * H}) and w_hh ({H}, {3 * H})", shapes=(w_ih.shape, w_hh.shape))
    w_ih, w_hh, b_ih, b_hh = _gru_canonical(order, H, w_ih, w_hh, b_ih, b_hh)
    xw, m = _seq_prep("gru", x, w_ih, b_ih, mask, time_major)
    if xw.shape[0] == 0:
        raise OpError("gru", "the sequence has no time steps", shapes=(x.shape,))
    h0_given = h0 is not None
    if h0 is None:
        h0 = ops.zeros_like(xw[0][:, :H])
    act, rec_act = get_activation(activation), get_activation(recurrent_activation)
    hs, hT = _loop(lambda xz, h: _gru_step(xz, h, w_hh, b_hh, reset_after, act, rec_act), xw, h0, m, reverse)
    return _seq_out("gru", hs, m, h0_given, reverse, zero_output_for_mask, return_sequences, time_major), hT


def simple_rnn(x: Tensor, h0: Optional[Tensor], w_ih: Tensor, w_hh: Tensor, b_ih: Optional[Tensor] = None,
               b_hh: Optional[Tensor] = None, activation: Any = "tanh", time_major: bool = False,
               reverse: bool = False, mask: Any = None, return_sequences: bool = True,
               zero_output_for_mask: bool = False, weights_layout: str = "io") -> Tuple[Tensor, Tensor]:
    """An Elman RNN layer over a whole sequence (see :func:`simple_rnn_cell`).

    Shapes: x (N, T, I) ((T, N, I) with ``time_major``), h0 (N, H) or None, w_ih (I, H), w_hh (H, H),
    biases (H,) or None, mask (N, T) bool or None. Returns ``(out, h_T)`` as :func:`gru`.
    """
    w_ih, w_hh = _io(w_ih, weights_layout, "simple_rnn"), _io(w_hh, weights_layout, "simple_rnn")
    H = w_hh.shape[0]
    if w_hh.shape != (H, H) or w_ih.ndim != 2 or w_ih.shape[1] != H:
        raise OpError("simple_rnn", f"expected w_ih (I, {H}) and w_hh ({H}, {H})", shapes=(w_ih.shape, w_hh.shape))
    xw, m = _seq_prep("simple_rnn", x, w_ih, _bias(b_ih, b_hh), mask, time_major)
    if xw.shape[0] == 0:
        raise OpError("simple_rnn", "the sequence has no time steps", shapes=(x.shape,))
    h0_given = h0 is not None
    if h0 is None:
        h0 = ops.zeros_like(xw[0])
    act = get_activation(activation)
    hs, hT = _loop(lambda xz, h: _act(act, ops.add(xz, ops.matmul(h, w_hh))), xw, h0, m, reverse)
    return _seq_out("simple_rnn", hs, m, h0_given, reverse, zero_output_for_mask, return_sequences, time_major), hT


# -- attention ---------------------------------------------------------------------------------------------

def _large_negative(dtype: Any) -> float:
    # Keras's masked softmax puts a large negative number at masked logits (-1e9; -3e4 for float16).
    return -3e4 if str(dtype) == "float16" else -1e9


def _masked_softmax(scores: Tensor, mask: Any, axis: int = -1) -> Tensor:
    """Softmax over ``axis`` with masked positions (mask False / 0) given weight exactly 0.

    Shapes: scores (..., T), mask broadcastable to it -> (..., T). As Keras's ``Softmax(mask=...)``
    (which MultiHeadAttention uses): masked logits are replaced by -1e9 before the softmax and the
    masked outputs set to 0 after it, so a row with nothing to attend to gives all zeros (not a
    uniform row), and no gradient reaches masked scores.
    """
    if mask is None:
        return ops.softmax(scores, axis=axis)
    m = mask if isinstance(mask, Tensor) else Tensor._from_any(mask, scores.device)
    if m.dtype.kind != "b":
        m = ops.not_equal(m, 0)
    out = ops.softmax(ops.where(m, scores, _large_negative(scores.dtype)), axis=axis)
    return ops.where(m, out, 0.0)


def scaled_dot_product_attention(q: Tensor, k: Tensor, v: Tensor, mask: Any = None, dropout: float = 0.0,
                                 generator: Any = None, scale: Optional[float] = None, training: Optional[bool] = None,
                                 return_weights: bool = False) -> Union[Tensor, Tuple[Tensor, Tensor]]:
    """``softmax((q * scale) @ k^T + mask_bias) @ v`` with dropout on the attention weights.

    Shapes: q (..., Tq, D), k (..., Tk, D), v (..., Tk, Dv), mask broadcastable to (..., Tq, Tk)
    (True = attend; masked positions get weight 0, so a query row that may attend to nothing gives
    zeros, as Keras) -> (..., Tq, Dv) (and the weights
    (..., Tq, Tk) with ``return_weights``). ``scale`` defaults to ``1/sqrt(D)``; it multiplies q
    before the product (as Keras's MultiHeadAttention does). Dropout draws from ``generator``
    (default: the default generator) and follows ``training`` (None: the autograd training flag).
    """
    for nm, t in (("q", q), ("k", k), ("v", v)):
        if not isinstance(t, Tensor) or t.ndim < 2:
            raise OpError("scaled_dot_product_attention", f"{nm} must be a Tensor with >= 2 dims",
                          shapes=[getattr(a, "shape", ()) for a in (q, k, v)])
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise OpError("scaled_dot_product_attention", "expected q (..., Tq, D), k (..., Tk, D), v (..., Tk, Dv)",
                      shapes=(q.shape, k.shape, v.shape))
    s = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    scores = ops.matmul(ops.multiply(q, s), ops.swapaxes(k, -1, -2))
    w = _masked_softmax(scores, mask)
    wd = ops.dropout(w, dropout, training=training, generator=generator) if dropout else w
    out = ops.matmul(wd, v)
    return (out, w) if return_weights else out


def multi_head_attention(query: Tensor, value: Tensor, key: Optional[Tensor] = None, *, wq: Tensor, wk: Tensor,
                         wv: Tensor, wo: Tensor, bq: Optional[Tensor] = None, bk: Optional[Tensor] = None,
                         bv: Optional[Tensor] = None, bo: Optional[Tensor] = None, num_heads: int, key_dim: int,
                         value_dim: Optional[int] = None, attention_mask: Any = None, use_causal_mask: bool = False,
                         dropout: float = 0.0, generator: Any = None, training: Optional[bool] = None,
                         return_attention_scores: bool = False) -> Union[Tensor, Tuple[Tensor, Tensor]]:
    """Keras 3 ``MultiHeadAttention`` math (weights in Keras's EinsumDense layouts).

    ``Q = query·wq + bq``, ``K = key·wk + bk``, ``V = value·wv + bv`` (projections to heads x dim);
    ``A = softmax((Q / sqrt(key_dim)) K^T + mask_bias)`` per head, dropout on A;
    ``out = (A V)·wo + bo`` summed over heads and value dims.

    Computed with BLAS matmuls in the op sequence a hand-written attention block uses (a Gluon
    HybridBlock of Dense + batch_dot + softmax): each projection is :func:`dense` with the kernel seen
    as (D, h*dim), reshaped to (..., T, h, dim), transposed to heads-first and merged to (prod(...)*h,
    T, dim); q is scaled, ``scores = q @ k^T`` (one batched matmul), masked softmax, ``ctx = A @ v``,
    the heads merged back to (..., Tq, h*vd) and :func:`dense` with wo as (h*vd, Do). Every layout
    change is exact, so this is Keras's math with matmul's summation order.

    Shapes: query (B, Tq, Dq), value (B, Tv, Dv), key (B, Tv, Dk) (default: value); wq (Dq, h, key_dim),
    wk (Dk, h, key_dim), wv (Dv, h, value_dim), wo (h, value_dim, Do); bq, bk (h, key_dim), bv
    (h, value_dim), bo (Do,) or None; attention_mask (B, Tq, Tv) bool (True = attend) or None ->
    (B, Tq, Do) (and the scores (B, h, Tq, Tv) with ``return_attention_scores``). Extra leading
    axes (..., T, D) are batch axes.
    """
    key = value if key is None else key
    vd = key_dim if value_dim is None else value_dim
    want = {"wq": (query.shape[-1], num_heads, key_dim), "wk": (key.shape[-1], num_heads, key_dim),
            "wv": (value.shape[-1], num_heads, vd)}
    for nm, w in (("wq", wq), ("wk", wk), ("wv", wv)):
        if tuple(w.shape) != want[nm]:
            raise OpError("multi_head_attention", f"{nm} must have shape {want[nm]}, got {w.shape}",
                          shapes=(query.shape, value.shape, key.shape))
    if wo.ndim != 3 or wo.shape[:2] != (num_heads, vd):
        raise OpError("multi_head_attention", f"wo must have shape ({num_heads}, {vd}, out_dim), got {wo.shape}")
    for nm, b, d in (("bq", bq, key_dim), ("bk", bk, key_dim), ("bv", bv, vd)):
        if b is not None and tuple(b.shape) != (num_heads, d):
            raise OpError("multi_head_attention", f"{nm} must have shape ({num_heads}, {d}), got {b.shape}")
    if query.ndim < 3 or value.ndim != query.ndim or key.ndim != query.ndim:
        raise OpError("multi_head_attention", "expected query, value and key of the same rank >= 3 (batch, time, "
                      "features)", shapes=(query.shape, value.shape, key.shape))

    h, kd = num_heads, key_dim
    lead_q, tq, tv = tuple(query.shape[:-2]), query.shape[-2], value.shape[-2]

    def proj(x: Tensor, w: Tensor, b: Optional[Tensor], d: int) -> Tensor:
        """x (..., T, D) -> the heads (prod(...)*h, T, d): a dense layer on (D, h*d), then the heads split off."""
        y = dense(x, ops.reshape(w, (w.shape[0], h * d)), None if b is None else ops.reshape(b, (h * d,)))
        n = y.ndim
        y = ops.transpose(ops.reshape(y, y.shape[:-1] + (h, d)), tuple(range(n - 2)) + (n - 1, n - 2, n))
        return ops.reshape(y, (-1,) + y.shape[-2:])

    q = ops.multiply(proj(query, wq, bq, kd), 1.0 / math.sqrt(float(key_dim)))   # (B*h, Tq, k)
    k = proj(key, wk, bk, kd)                                                     # (B*h, Tv, k)
    v = proj(value, wv, bv, vd)                                                   # (B*h, Tv, vd)
    scores = ops.matmul(q, ops.swapaxes(k, -1, -2))                              # (B*h, Tq, Tv)
    mask = attention_mask
    if mask is not None:
        mask = mask if isinstance(mask, Tensor) else Tensor._from_any(mask, query.device)
        if mask.dtype.kind != "b":
            mask = ops.not_equal(mask, 0)
        mask = ops.expand_dims(mask, -3)  # broadcast over heads
    if use_causal_mask:
        from ..creation import arange

        causal = ops.less_equal(ops.reshape(arange(tv, device=query.device), (1, tv)),
                                ops.reshape(arange(tq, device=query.device), (tq, 1)))
        mask = causal if mask is None else ops.logical_and(mask, causal)
    if mask is None:  # the softmax of a hand-written block (and of the Gluon twin): on (B*h, Tq, Tv)
        a = ops.reshape(ops.softmax(scores, axis=-1), lead_q + (h, tq, tv))
    else:
        a = _masked_softmax(ops.reshape(scores, lead_q + (h, tq, tv)), mask)      # (B, h, Tq, Tv)
    ad = ops.dropout(a, dropout, training=training, generator=generator) if dropout else a
    ctx = ops.matmul(ops.reshape(ad, (-1, tq, tv)), v)                  # (B*h, Tq, vd)
    ctx = ops.reshape(ctx, lead_q + (h, tq, vd))
    nl = len(lead_q)
    ctx = ops.transpose(ctx, tuple(range(nl)) + (nl + 1, nl, nl + 2))   # (B, Tq, h, vd)
    ctx = ops.reshape(ctx, lead_q + (tq, h * vd))
    out = dense(ctx, ops.reshape(wo, (h * vd, wo.shape[-1])), bo)
    return (out, a) if return_attention_scores else out
