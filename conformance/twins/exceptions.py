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

__all__ = ["TwinException", "EXCEPTIONS", "lookup", "USED"]

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
_GRU = ("gate order: Keras's columns are z, r, h and MXNet's rows r, z, n. The forward never sums over the gate "
        "axis (bitwise), but the backward of x@W and h@U does (dx = g@W^T, dh = g@U^T sum the 3H gate entries "
        "in a different order), so gradients differ in the last bits and the parameters after steps follow")
_MHA = ("Keras's MultiHeadAttention computes its projections and per-head products with ops.einsum "
        "(unidl.nn.functional.multi_head_attention; NumPy c_einsum loops), the Gluon twin (a user's HybridBlock: "
        "Dense + batch_dot + softmax) with ops.matmul (BLAS): different summation order. Would go if the core's "
        "multi_head_attention used reshape + matmul")

EXCEPTIONS: List[TwinException] = [
    TwinException("attention", "adam", "*key/bias <-> *",
                  "the key projection's bias has an analytically zero gradient (softmax over keys is invariant to a "
                  "per-query shift); each side's gradient is rounding noise (~1e-10, see the attention gradient entry) "
                  "and Adam normalises noise to steps of size ~lr, so the bound is 2 * steps * lr = 2 * 3 * 0.005",
                  rtol=0.0, atol=0.03),
    TwinException("*", "adam", "*", _ADAM, rtol=1e-5, atol=1e-6),
    TwinException("gru", "gradients", "*", _GRU, rtol=1e-5, atol=1e-7),
    TwinException("gru", "sgd_momentum", "*", _GRU, rtol=1e-6, atol=3e-7),
    TwinException("attention", "*forward", "output", _MHA, rtol=1e-5, atol=1e-6),
    TwinException("attention", "gradients", "*", _MHA, rtol=1e-4, atol=1e-7),
    TwinException("attention", "sgd_momentum", "*", _MHA, rtol=1e-5, atol=2e-7),
]


def lookup(twin: str, check: str, param: str, device: str = "cpu") -> Optional[TwinException]:
    """The first entry that covers this comparison, or None (then it must be bitwise)."""
    for e in EXCEPTIONS:
        if (fnmatchcase(twin, e.twin) and fnmatchcase(check, e.check) and fnmatchcase(param, e.param)
                and any(fnmatchcase(device, d) for d in e.devices)):
            USED.add(e)
            return e
    return None
