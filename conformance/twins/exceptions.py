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

EXCEPTIONS: List[TwinException] = [
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
