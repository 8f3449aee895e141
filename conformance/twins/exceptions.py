"""Every exception to bitwise equality in the twin zoo, with its reason and the bound that holds.

An entry matches a (twin, check, parameter label) by ``fnmatch`` patterns; the harness then asserts
``|keras - gluon| <= atol + rtol * |gluon|`` elementwise instead of byte equality. Anything not
listed here must be bitwise equal. Keep entries narrow (one twin, one check, the parameters that
actually differ) and say why the two frameworks compute differently.
"""
from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import List, Optional, Tuple

__all__ = ["TwinException", "EXCEPTIONS", "lookup", "USED", "TraceException", "TRACE_EXCEPTIONS", "trace_exceptions"]

#: entries that some comparison needed in this process (so a test can show none is stale)
USED: set = set()


@dataclass(frozen=True)
class TwinException:
    twin: str          # fnmatch pattern on the twin name
    check: str         # fnmatch pattern on the check name
    param: str         # fnmatch pattern on the parameter label ("output", "loss", "keras/var <-> gluon_param")
    reason: str
    rtol: float
    atol: float
    devices: Tuple[str, ...] = ("*",)


_ADAM = ("Keras and MXNet define Adam with different float formulas, and each frontend reproduces its own "
         "framework's (unidl.nn.optim.adam form='keras' vs form='mxnet'): Keras m += (g - m)*(1 - b1), "
         "v += (g*g - v)*(1 - b2), p -= (m*alpha)/(sqrt(v) + eps) with alpha in float32; MXNet m = b1*m + (1 - b1)*g, "
         "v = b2*v + ((1 - b2)*g)*g, p -= (lr_t*m)/(sqrt(v) + eps) with lr_t folded in float64. Same math, "
         "last-bit differences per step (inherent: matching one would break fidelity to the other)")

_ZERO_GRAD_UNDER_ADAM = (
    "The attention key bias has an analytically zero gradient (a constant added to every key shifts each "
    "query's scores alike and softmax ignores it), so its gradient is rounding noise. Both faces compute the "
    "same noise bitwise at the first step (the 'gradients' check), but after one step the Adam formula "
    "difference above leaves the other weights an ulp apart, the next steps' noise differs, and Adam "
    "normalizes noise to updates of up to lr each: the bias may differ by up to lr * steps (3 * 1e-3 / 10 here)")

EXCEPTIONS: List[TwinException] = [
    TwinException("attention", "adam", "*/key/bias <-> *", _ZERO_GRAD_UNDER_ADAM, rtol=0.0, atol=3e-4),
    TwinException("*", "adam", "*", _ADAM, rtol=1e-5, atol=1e-6),
]
# No longer listed, because the core now runs one arithmetic for both frontends: GRU (the gate blocks are
# gathered into one order before the matmuls, so dx and dh sum the 3H gate entries alike), MultiHeadAttention
# (reshape + matmul in the Gluon twin's op sequence instead of einsum), and with it the attention key bias
# under Adam (its analytically zero gradient is now the same rounding noise on both sides).


def lookup(twin: str, check: str, param: str, device: str = "cpu") -> Optional[TwinException]:
    """The first entry that covers this comparison, or None (then it must be bitwise)."""
    for e in EXCEPTIONS:
        if (fnmatchcase(twin, e.twin) and fnmatchcase(check, e.check) and fnmatchcase(param, e.param)
                and any(fnmatchcase(device, d) for d in e.devices)):
            USED.add(e)
            return e
    return None


# -- kernel-call traces ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class TraceException:
    """Kernel calls one face issues and its twin does not, because the two frameworks' models differ there
    (not because the core computes differently). The ``kernel_calls`` check drops the calls of ``face`` in
    the phases matching ``phase`` whose op is ``op`` and whose array operands have exactly ``shapes``."""

    twin: str                          # fnmatch pattern on the twin name
    phase: str                         # fnmatch pattern: "inference forward", "training backward", "sgd-momentum step"
    face: str                          # "keras" or "gluon": whose calls are dropped
    op: str
    shapes: Tuple[Tuple[int, ...], ...]
    reason: str

    def matches(self, call: "object") -> bool:
        shapes = tuple(d[2] for d in call.operands if isinstance(d, tuple) and len(d) == 4 and d[0] == "array")
        return call.op == self.op and shapes == self.shapes


_TWO_BIASES = ("Gluon's RNN layers have two biases (i2h, h2h) where Keras's LSTM has one: the core adds them "
               "once per call (one add of two bias vectors; exact in this twin, whose h2h_bias is zero and frozen)")
_GRU_BIAS = ("Keras keeps the GRU's input and recurrent biases in one (2, 3H) variable, Gluon in two (3H,) "
             "parameters: Keras's two bias rows get their gradients as two zero-padded slices added together "
             "(x + 0, exact), and one update of 2*3H elements stands for Gluon's two of 3H (elementwise, so "
             "the same arithmetic per element)")

TRACE_EXCEPTIONS: List[TraceException] = [
    TraceException("lstm", "inference forward", "gluon", "add", ((64,), (64,)), _TWO_BIASES),
    TraceException("bilstm", "inference forward", "gluon", "add", ((32,), (32,)), _TWO_BIASES),
    TraceException("gru", "training backward", "keras", "add", ((2, 48), (2, 48)), _GRU_BIAS),
    TraceException("gru", "sgd-momentum step", "keras", "sgd_update", ((2, 48),) * 3, _GRU_BIAS),
    TraceException("gru", "sgd-momentum step", "gluon", "sgd_update_rescaled", ((48,),) * 3, _GRU_BIAS),
]


def trace_exceptions(twin: str, phase: str, face: str) -> List[TraceException]:
    """The trace exceptions that apply to one face's trace of one phase of a twin."""
    return [e for e in TRACE_EXCEPTIONS
            if fnmatchcase(twin, e.twin) and fnmatchcase(phase, e.phase) and e.face == face]
