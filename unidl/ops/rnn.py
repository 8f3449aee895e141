"""Fused recurrent ops: the whole LSTM recurrence in one kernel call, its backward in another.

``lstm_sequence`` takes the input projection of every step already computed (one big matmul done
with ordinary ops by :func:`unidl.nn.functional.lstm`) and runs the recurrence over time::

    z_t = xw[t] + h_{t-1} @ w_hh                      (gate order i, f, g, o)
    i, f, o = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o);  g = tanh(z_g)
    c_t = f * c_{t-1} + i * g;   h_t = o * tanh(c_t)
    where mask[t, n] is False: h_t, c_t = h_{t-1}, c_{t-1}   (state carried through, as Keras does)

Kernel contract (differs from ordinary ops: two results):
  * ``lstm_sequence(xw, h0, c0, w_hh, mask, reverse) -> (Y, workspace)``: ``Y`` (2, T, N, H) holds ``h_t``
    (``Y[0]``) and ``c_t`` (``Y[1]``) indexed by input time ``t`` (also when ``reverse``); the
    workspace (any object; the NumPy kernel keeps the activated gates and ``tanh(c_t)``) is handed
    back to the grad kernel unchanged.
  * ``lstm_sequence_grad(gY, xw, h0, c0, w_hh, Y, workspace, mask, reverse) -> (d_xw, d_h0, d_c0, d_w_hh)``.

The backward uses the fused grad kernel when the gradient is not itself being recorded; under
``create_graph=True`` it replays the recurrence with ordinary differentiable ops and differentiates
that, so higher-order gradients stay exact.
"""
from __future__ import annotations

from typing import Any, Optional

from ..autograd import STATE, Node
from ..dtypes import is_floating
from ..errors import OpError, UnidlError
from ._core import Tensor, apply_multi, defop, op_error, wrap

__all__ = ["lstm_sequence"]

LSTM_SEQUENCE = defop("lstm_sequence", doc="fused LSTM recurrence over time from a precomputed input projection")
LSTM_SEQUENCE_GRAD = defop("lstm_sequence_grad", differentiable=False,
                           doc="fused backward of lstm_sequence: (d_xw, d_h0, d_c0, d_w_hh)")


def _lstm_replay(xw: Tensor, h0: Tensor, c0: Tensor, w_hh: Tensor, mask: Optional[Tensor], reverse: bool) -> Tensor:
    """``lstm_sequence`` written with ordinary ops (differentiable to any order). Same result layout."""
    from .activation import sigmoid
    from .arrange import split, stack
    from .elementwise import add, multiply, tanh, where
    from .linalg import matmul
    from .shape import expand_dims

    T = xw.shape[0]
    h, c = h0, c0
    hs: list = [None] * T
    cs: list = [None] * T
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        z = add(xw[t], matmul(h, w_hh))
        zi, zf, zg, zo = split(z, 4, axis=-1)
        cn = add(multiply(sigmoid(zf), c), multiply(sigmoid(zi), tanh(zg)))
        hn = multiply(sigmoid(zo), tanh(cn))
        if mask is not None:
            m = expand_dims(mask[t], -1)
            hn, cn = where(m, hn, h), where(m, cn, c)
        h, c = hn, cn
        hs[t], cs[t] = h, c
    return stack([stack(hs, 0), stack(cs, 0)], 0)


def _lstm_sequence_bwd(node: Node, out: Tensor, g: Tensor) -> tuple:
    xw, h0, c0, w_hh, mask = node.parents
    reverse, ws = node.saved
    if STATE.recording:  # create_graph: differentiate a differentiable replay instead of the fused kernel
        from ..autograd import grad as _grad

        want = [p for p in (xw, h0, c0, w_hh) if p.requires_grad]
        y = _lstm_replay(xw, h0, c0, w_hh, mask, reverse)
        gs = iter(_grad([y], want, head_grads=[g], retain_graph=True, create_graph=True))
        return tuple(next(gs) if p.requires_grad else None for p in (xw, h0, c0, w_hh)) + (None,)
    dxw, dh0, dc0, dw = apply_multi(LSTM_SEQUENCE_GRAD, (g, xw, h0, c0, w_hh, out, ws, mask), {"reverse": reverse})
    return dxw, dh0, dc0, dw, None


def lstm_sequence(xw: Tensor, h0: Tensor, c0: Tensor, w_hh: Tensor, mask: Optional[Any] = None,
                  reverse: bool = False) -> Tensor:
    """The LSTM recurrence over time, fused (see the module docstring for the math), time-major.

    Shapes: xw (T, N, 4H) (input projection incl. biases, gates i, f, g, o), h0 (N, H), c0 (N, H),
    w_hh (H, 4H), mask (T, N) bool or None -> (2, T, N, H): ``[0]`` the hidden states ``h_t``,
    ``[1]`` the cell states ``c_t``, indexed by input time. ``reverse`` runs from t = T-1 down to 0.
    Differentiable in xw, h0, c0 and w_hh (to any order).
    """
    op = "lstm_sequence"
    ts = (xw, h0, c0, w_hh)
    if not all(isinstance(t, Tensor) for t in ts):
        raise OpError(op, "xw, h0, c0 and w_hh must be unidl Tensors")
    shapes = [t.shape for t in ts]
    if xw.ndim != 3 or xw.shape[2] % 4:
        raise OpError(op, "expected xw of shape (T, N, 4H)", shapes=shapes)
    T, N, G4 = xw.shape
    H = G4 // 4
    if h0.shape != (N, H) or c0.shape != (N, H) or w_hh.shape != (H, G4):
        raise OpError(op, f"expected h0 and c0 of shape ({N}, {H}) and w_hh of shape ({H}, {G4}) for xw "
                      f"of shape {xw.shape}", shapes=shapes)
    dts = tuple(t.dtype for t in ts)
    if any(d != xw.dtype for d in dts) or not is_floating(xw.dtype):
        raise OpError(op, "xw, h0, c0 and w_hh must share one floating-point dtype", shapes=shapes, dtypes=dts)
    if mask is not None:
        if not isinstance(mask, Tensor):
            mask = Tensor._from_any(mask, xw.device)
        if mask.shape != (T, N):
            raise OpError(op, f"expected a mask of shape ({T}, {N}) (time, batch)", shapes=shapes + [mask.shape])
        if mask.dtype.kind != "b":
            mask = mask.astype("bool")
    reverse = bool(reverse)
    dev = xw.device
    for t in ts[1:]:
        if t.device is not dev:
            raise OpError(op, "inputs are on different devices", shapes=shapes)
    k = LSTM_SEQUENCE.table.get(dev.type) or LSTM_SEQUENCE.kernel(dev.type)
    try:
        y, ws = k(xw.data, h0.data, c0.data, w_hh.data, None if mask is None else mask.data, reverse)
    except UnidlError:
        raise
    except Exception as e:  # noqa: BLE001 - wrapped with the op name and shapes
        raise op_error(LSTM_SEQUENCE, e, ts) from e
    out = wrap(y, dev)
    if STATE.recording and any(t.requires_grad for t in ts):
        out._node = Node(op, (xw, h0, c0, w_hh, mask), _lstm_sequence_bwd, (reverse, ws))
        out.requires_grad = True
    return out

