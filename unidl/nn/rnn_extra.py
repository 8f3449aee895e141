"""Recurrent helpers that complement :mod:`unidl.nn.functional`, framework-neutral (Keras and Gluon).

* :func:`rnn_loop`: run any step function over a batch-first sequence with masks and reversal,
  the generic path of a recurrent layer over an arbitrary cell (Keras's ``backend.rnn``).
* :func:`lstm_cell_act`: one LSTM step with any gate/candidate activations (the fused op and
  :func:`unidl.nn.functional.lstm_cell` use sigmoid/tanh only).
* :func:`lstmp_cell` / :func:`lstmp`: the LSTM with a recurrent projection (LSTMP, MXNet's
  ``projection_size``): one step, and a whole sequence.

Conventions follow :mod:`unidl.nn.functional`: masks are (N, T) bool, True = a real step; where a
step is masked the states are carried through unchanged and the output is the previous output
(zeros before the first real step), or zeros with ``zero_output_for_mask``. ``reverse`` processes
the last step first; the returned sequence stays aligned with the input time axis.
"""
from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence, Tuple

from .. import ops
from ..errors import OpError
from ..tensor import Tensor

__all__ = ["rnn_loop", "lstm_cell_act", "lstmp_cell", "lstmp"]

StepFn = Callable[[Tensor, List[Tensor]], Tuple[Tensor, Sequence[Tensor]]]


def _bool_mask(name: str, mask: Any, x: Tensor) -> Tensor:
    m = mask if isinstance(mask, Tensor) else Tensor._from_any(mask, x.device)
    if m.shape != tuple(x.shape[:2]):
        raise OpError(name, f"expected a mask of shape {tuple(x.shape[:2])} (batch, time)", shapes=(x.shape, m.shape))
    return m if m.dtype.kind == "b" else ops.not_equal(m, 0)


def rnn_loop(step: StepFn, inputs: Tensor, initial_states: Sequence[Tensor], mask: Any = None,
             reverse: bool = False, zero_output_for_mask: bool = False
             ) -> Tuple[Tensor, Tensor, List[Tensor]]:
    """Apply ``step(x_t, states) -> (output_t, new_states)`` over the time axis of ``inputs``.

    Shapes: inputs (N, T, ...) batch-first; initial_states a list of (N, ...) tensors; mask (N, T)
    bool or None. Returns ``(last_output, outputs, final_states)``: last_output (N, ...) the output of
    the last processed step (after masking), outputs (N, T, ...) aligned with the input time axis,
    final_states the states after the last processed step.
    """
    if not isinstance(inputs, Tensor) or inputs.ndim < 3:
        raise OpError("rnn_loop", "expected inputs of shape (N, T, ...)", shapes=(getattr(inputs, "shape", ()),))
    T = inputs.shape[1]
    if T == 0:
        raise OpError("rnn_loop", "the sequence has no time steps", shapes=(inputs.shape,))
    m = None if mask is None else _bool_mask("rnn_loop", mask, inputs)
    states = list(initial_states)
    outs: List[Any] = [None] * T
    prev: Optional[Tensor] = None
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        out, new_states = step(inputs[:, t], states)
        new_states = list(new_states) if isinstance(new_states, (list, tuple)) else [new_states]
        if len(new_states) != len(states):
            raise OpError("rnn_loop", f"the step function returned {len(new_states)} states, expected {len(states)}")
        if m is not None:
            mt = m[:, t]

            def keep(new: Tensor, old: Tensor, mt: Tensor = mt) -> Tensor:
                return ops.where(ops.reshape(mt, mt.shape + (1,) * (new.ndim - 1)), new, old)

            if zero_output_for_mask:
                out = keep(out, ops.zeros_like(out))
            else:
                out = keep(out, ops.zeros_like(out) if prev is None else prev)
            new_states = [keep(n, o) for n, o in zip(new_states, states)]
        prev = outs[t] = out
        states = new_states
    return prev, ops.stack(outs, 1), states


def lstm_cell_act(x: Tensor, h: Tensor, c: Tensor, w_ih: Tensor, w_hh: Tensor, b: Optional[Tensor],
                  activation: Callable[[Tensor], Tensor], recurrent_activation: Callable[[Tensor], Tensor]
                  ) -> Tuple[Tensor, Tensor]:
    """One LSTM step (gates i, f, c(g), o) with custom activations. Returns ``(h', c')``.

    ``z = x @ w_ih + h @ w_hh + b``; ``i, f, o = recurrent_activation``; ``g = activation``;
    ``c' = f * c + i * g``; ``h' = o * activation(c')``.
    Shapes: x (N, I), h and c (N, H), w_ih (I, 4H), w_hh (H, 4H), b (4H,) or None -> (N, H), (N, H).
    """
    H = h.shape[-1]
    if w_ih.shape != (x.shape[-1], 4 * H) or w_hh.shape != (H, 4 * H):
        raise OpError("lstm_cell_act", f"expected w_ih ({x.shape[-1]}, {4 * H}) and w_hh ({H}, {4 * H})",
                      shapes=(x.shape, h.shape, w_ih.shape, w_hh.shape))
    z = ops.add(ops.matmul(x, w_ih), ops.matmul(h, w_hh))
    if b is not None:
        z = ops.add(z, b)
    zi, zf, zg, zo = ops.split(z, 4, axis=-1)
    c2 = ops.add(ops.multiply(recurrent_activation(zf), c), ops.multiply(recurrent_activation(zi), activation(zg)))
    h2 = ops.multiply(recurrent_activation(zo), activation(c2))
    return h2, c2


def lstmp_cell(x: Tensor, r: Tensor, c: Tensor, w_ih: Tensor, w_hh: Tensor, w_hr: Tensor,
               b_ih: Optional[Tensor], b_hh: Optional[Tensor]) -> Tuple[Tensor, Tensor]:
    """One LSTMP step (gates i, f, c(g), o). Returns ``(r', c')``.

    ``z = x W_ih^T + b_ih + r W_hh^T + b_hh``; ``c' = f * c + i * g``; ``h = o * tanh(c')``; ``r' = h W_hr^T``.
    Shapes (weights as (out, in), MXNet's): x (N, C), r (N, P), c (N, H), w_ih (4H, C), w_hh (4H, P),
    w_hr (P, H), biases (4H,) -> r' (N, P), c' (N, H).
    """
    H, P = c.shape[-1], r.shape[-1]
    if w_ih.shape != (4 * H, x.shape[-1]) or w_hh.shape != (4 * H, P) or w_hr.shape != (P, H):
        raise OpError("lstmp_cell", f"expected w_ih ({4 * H}, {x.shape[-1]}), w_hh ({4 * H}, {P}) and w_hr ({P}, {H})",
                      shapes=(x.shape, r.shape, c.shape, w_ih.shape, w_hh.shape, w_hr.shape))
    z = ops.add(ops.matmul(x, ops.transpose(w_ih)), ops.matmul(r, ops.transpose(w_hh)))
    for b in (b_ih, b_hh):
        if b is not None:
            z = ops.add(z, b)
    zi, zf, zg, zo = ops.split(z, 4, axis=-1)
    c2 = ops.add(ops.multiply(ops.sigmoid(zf), c), ops.multiply(ops.sigmoid(zi), ops.tanh(zg)))
    h = ops.multiply(ops.sigmoid(zo), ops.tanh(c2))
    return ops.matmul(h, ops.transpose(w_hr)), c2


def lstmp(x: Tensor, r0: Tensor, c0: Tensor, w_ih: Tensor, w_hh: Tensor, w_hr: Tensor, b_ih: Optional[Tensor],
          b_hh: Optional[Tensor], reverse: bool = False) -> Tuple[Tensor, Tensor, Tensor]:
    """LSTMP over a time-major sequence: x (T, N, C), r0 (N, P), c0 (N, H), weights as :func:`lstmp_cell`.

    Returns ``(outputs (T, N, P), r_T (N, P), c_T (N, H))``; with ``reverse`` the last step runs first and
    the outputs stay aligned with the input time axis.
    """
    if not isinstance(x, Tensor) or x.ndim != 3:
        raise OpError("lstmp", "expected a time-major input (T, N, C)", shapes=(getattr(x, "shape", ()),))
    T = x.shape[0]
    outs: List[Any] = [None] * T
    r, c = r0, c0
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        r, c = lstmp_cell(x[t], r, c, w_ih, w_hh, w_hr, b_ih, b_hh)
        outs[t] = r
    return ops.stack(outs, 0), r, c
