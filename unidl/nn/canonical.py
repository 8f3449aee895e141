"""Frontend-neutral model interchange: weights as canonical *units*, architectures as *layer specs*.

Every frontend translates its own models to and from these terms, and nothing here knows a framework:
``unidl_keras.canonical`` and ``unidl_mxnet.gluon.canonical`` each know one face. So moving weights
between a Keras model and its Gluon twin is Keras -> canonical -> Gluon (``unidl convert``, ``unidl demo``
and the conformance suite's twin tier all go this way), and a third frontend joins by writing its own two
translations, never a mapping to each existing face.

Units. A model's weights are a list of :class:`Unit` (one per weight-carrying layer, or per direction and
stack level of a recurrent layer), matched one by one by kind, roles, options and shapes
(:func:`pair_units`). Values travel as NumPy arrays in the core's canonical layouts
(``unidl.nn.layouts``: the axis order the layer math takes):

==============  ============================================================================================
unit kind       roles (canonical layout)
==============  ============================================================================================
dense           weight (in, out), bias (out,)
conv            weight (O, C/groups, *K), bias (O,); meta ``groups`` (a depthwise conv: groups = C, weight
                (C*M, 1, *K))
conv_transpose  weight (C_in, O/groups, *K), bias (O,); meta ``groups``
batchnorm       gamma, beta, running_mean, running_var (C,)
layernorm       gamma, beta (C,)
embedding       weight (V, D)
lstm            i2h_weight (I, 4H), h2h_weight (H, 4H), i2h_bias, h2h_bias (4H,); gates i, f, c, o; meta hidden
gru             i2h_weight (I, 3H), h2h_weight (H, 3H), i2h_bias, h2h_bias (3H,); gates z, r, h (the core's
                order, ``unidl.nn.functional.gru``); meta hidden
generic         w0, w1, ... : a layer's own weights in creation order, as they are
==============  ============================================================================================

Layer specs. An architecture is a :class:`ModelSpec`: a chain of :class:`LayerSpec` in channels-first terms
(the core's layouts), each with an optional transpose before it and a named function after it, plus the
transposes from the source model's input layout and back to its output layout.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

__all__ = ["MappingError", "Unit", "pair_units", "transfer", "differences", "LayerSpec", "ModelSpec"]


class MappingError(ValueError):
    """Two models' structures do not match (kinds, order, shapes or options), or a model has a layer that
    has no canonical form."""


@dataclass
class Unit:
    """One weight-carrying piece of a model, in canonical layout.

    ``roles``: role name -> label of the underlying variable/parameter (for messages).
    ``read()``/``write(values)``: role -> np.ndarray in canonical layout. ``read_grads()``: role ->
    gradient in canonical layout, or None for non-trainable roles (running stats, frozen params).
    ``meta``: options that must agree (groups, hidden size...).
    """

    kind: str
    owner: str
    roles: Dict[str, str]
    read: Callable[[], Dict[str, np.ndarray]]
    write: Callable[[Dict[str, np.ndarray]], None]
    read_grads: Callable[[], Dict[str, Optional[np.ndarray]]]
    meta: Dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        return f"{self.kind} '{self.owner}' ({', '.join(f'{r}={lbl}' for r, lbl in self.roles.items())})"


def pair_units(a: Sequence[Unit], b: Sequence[Unit], names: Tuple[str, str] = ("source", "target")
               ) -> List[Tuple[Unit, Unit]]:
    """The units of two models matched in order; :class:`MappingError` when kinds, roles, options or shapes
    disagree (the message names both sides, as ``names`` calls them, and lists the two structures)."""
    na, nb = names
    ta, tb = na.capitalize(), nb.capitalize()

    def listing() -> str:
        rows = [f"  {i}: {na} {u.kind} '{u.owner}'" for i, u in enumerate(a)]
        rows += [f"  {i}: {nb} {u.kind} '{u.owner}'" for i, u in enumerate(b)]
        return "\n".join(rows)

    if len(a) != len(b):
        raise MappingError(f"the models do not match: the {ta} model has {len(a)} weight-carrying units and the "
                           f"{tb} net {len(b)}:\n{listing()}")
    pairs = []
    for i, (x, y) in enumerate(zip(a, b)):
        where = f"unit {i}: {ta} {x.describe()} vs {tb} {y.describe()}"
        if x.kind != y.kind:
            raise MappingError(f"the models do not match at {where}: kinds differ ({x.kind} vs {y.kind}); units are "
                               f"paired in layer order (Keras functional models list layers by graph depth):\n"
                               f"{listing()}")
        if set(x.roles) != set(y.roles):
            raise MappingError(f"the models do not match at {where}: weights {sorted(x.roles)} vs {sorted(y.roles)} "
                               "(use_bias / center / scale differ?)")
        for key in set(x.meta) | set(y.meta):
            if x.meta.get(key) != y.meta.get(key):
                raise MappingError(f"the models do not match at {where}: {key} {x.meta.get(key)} vs {y.meta.get(key)}")
        xv, yv = x.read(), y.read()
        for r in x.roles:
            if xv[r].shape != yv[r].shape:
                raise MappingError(f"the models do not match at {where}: '{r}' has shape {xv[r].shape} on the {ta} "
                                   f"side and {yv[r].shape} on the {tb} side (canonical layout)")
        pairs.append((x, y))
    return pairs


def transfer(src: Sequence[Unit], dst: Sequence[Unit], names: Tuple[str, str] = ("source", "target")) -> None:
    """Copy every weight of the ``src`` units into the ``dst`` units, exactly (after :func:`pair_units`)."""
    for s, d in pair_units(src, dst, names):
        d.write(s.read())


def differences(pairs: Sequence[Tuple[Unit, Unit]]) -> List[str]:
    """One line per paired weight whose canonical values are not byte-for-byte equal (empty: identical)."""
    out = []
    for a, b in pairs:
        av, bv = a.read(), b.read()
        for role in a.roles:
            x, y = av[role], bv[role]
            if x.shape != y.shape or x.dtype != y.dtype or x.tobytes() != y.tobytes():
                n = int(np.count_nonzero(x != y)) if x.shape == y.shape else x.size
                out.append(f"{a.roles[role]} <-> {b.roles[role]}: {n} of {x.size} values differ")
    return out


@dataclass(frozen=True)
class LayerSpec:
    """One layer of a chain in channels-first terms.

    ``kind`` and ``options`` (the layer's settings, see the frontends' builders for each kind):
    dense (units, activation, use_bias, flatten, in_units), conv (rank, filters, kernel, strides, padding,
    dilation, groups, activation, use_bias, in_channels), pool (op "max"/"avg", rank, pool, strides),
    global_pool (op, rank), batchnorm (axis, momentum, epsilon, center, scale, in_channels), layernorm
    (epsilon, center, scale, in_channels), embedding (input_dim, output_dim), rnn (mode, units,
    bidirectional, input_size), dropout (rate), activation (name), leaky_relu (alpha), flatten, identity.
    ``pre``: an axis permutation applied to the input first (a layout change), or None. ``post``: a named
    function applied to the output: "softmax" / "log_softmax" (last axis), "flatten", "last_step"
    (the last time step of (N, T, C), flattened), or None. ``source``: the source layer's name.
    """

    kind: str
    options: Dict[str, Any] = field(default_factory=dict)
    pre: Optional[Tuple[int, ...]] = None
    post: Optional[str] = None
    source: str = ""


@dataclass(frozen=True)
class ModelSpec:
    """A chain model in canonical terms. ``input_perm``: the transpose from the source model's input to the
    chain's input (None: the same); ``output_perm``: from the chain's output back to the source's layout.
    ``input_shape`` (no batch axis) and ``input_dtype`` describe the source model's input; ``vocab`` > 0 when
    it takes token ids. ``bitwise``: whether the chain runs the source's arithmetic exactly (False when a
    Dense had to take its input features in another order)."""

    layers: Tuple[LayerSpec, ...]
    input_perm: Optional[Tuple[int, ...]] = None
    output_perm: Optional[Tuple[int, ...]] = None
    input_shape: Tuple[Optional[int], ...] = ()
    input_dtype: str = "float32"
    vocab: int = 0
    bitwise: bool = True
