"""Recurrent helpers that complement :mod:`unidl.nn.functional`, framework-neutral (Keras and Gluon).

* :func:`rnn_loop`: run any step function over a batch-first sequence with masks and reversal,
  the generic path of a recurrent layer over an arbitrary cell (Keras's ``backend.rnn``).
* :func:`lstm_cell_act`: one LSTM step with any gate/candidate activations (the fused op and
  :func:`unidl.nn.functional.lstm_cell` use sigmoid/tanh only).

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

__all__ = ["rnn_loop", "lstm_cell_act"]

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
