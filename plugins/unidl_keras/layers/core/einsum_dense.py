"""``keras.layers.EinsumDense``: a dense layer written as an einsum equation."""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

from unidl import ops

from ... import activations, constraints, initializers, regularizers
from ..layer import Layer

_PLAIN = re.compile(r"^([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$")
_LEFT = re.compile(r"^\.\.\.([a-zA-Z]+),([a-zA-Z]+)->\.\.\.([a-zA-Z]+)$")
_RIGHT = re.compile(r"^([a-zA-Z]{2,})\.\.\.,([a-zA-Z]+)->([a-zA-Z]{2,})\.\.\.$")


def kernel_axes(equation: str) -> Tuple[List[int], List[int]]:
    """(input axes, output axes) of an EinsumDense kernel: a kernel axis named in the output counts as an
    output unit, one named only in the input as an input unit (Keras's ``_analyze_split_string``)."""
    lhs, _, out_spec = equation.partition("->")
    in_spec, _, weight_spec = lhs.partition(",")
    in_axes: List[int] = []
    out_axes: List[int] = []
    for i, ch in enumerate(weight_spec.strip()):
        if ch in out_spec:
            out_axes.append(i)
        elif ch in in_spec:
            in_axes.append(i)
    return in_axes, out_axes


def analyze_einsum(equation: str, bias_axes: Optional[str], input_shape: Sequence[Any], output_shape: Any
                   ) -> Tuple[List[Any], Optional[List[Any]], List[Any]]:
    """(kernel shape, bias shape or None, full output shape) of an EinsumDense.

    ``equation`` is ``"ab,bc->ac"``, ``"...b,bc->...c"`` (leading dims elided) or ``"ab...,bc->ac..."``
    (trailing dims elided); ``output_shape`` excludes the batch dim (None entries follow the input).
    The bias spans the output from its first axis named in ``bias_axes`` to the end, with size 1 on
    the output axes not named.
    """
    eq = equation.replace(" ", "")
    kind = None
    for k, rx in (("plain", _PLAIN), ("left", _LEFT), ("right", _RIGHT)):
        m = rx.match(eq)
        if m:
            kind = k
            break
    if kind is None:
        raise ValueError(f"Invalid einsum equation '{equation}'. Equations must be in the form [X],[Y]->[Z], "
                         "...[X],[Y]->...[Z], or [X]...,[Y]->[Z]....")
    in_spec, w_spec, out_spec = m.group(1), m.group(2), m.group(3)
    input_shape = list(input_shape)
    out = [output_shape] if isinstance(output_shape, int) else list(output_shape)
    elided = len(input_shape) - len(in_spec)
    if elided < 0 or (kind == "plain" and elided):
        raise ValueError(f"EinsumDense equation '{equation}' expects inputs of rank {len(in_spec)}, received input "
                         f"shape {tuple(input_shape)}")
    full = [input_shape[0]] + out
    if kind == "left":
        full = [input_shape[0]] + input_shape[1:elided] + out
        in_pos = {c: elided + i for i, c in enumerate(in_spec)}
        out_pos = {c: len(full) - len(out_spec) + i for i, c in enumerate(out_spec)}
    else:
        if kind == "right":
            full = full + input_shape[len(input_shape) - elided:]
        in_pos = {c: i for i, c in enumerate(in_spec)}
        out_pos = {c: i for i, c in enumerate(out_spec)}
    if len(full) != len(out_spec) + elided:
        raise ValueError(f"EinsumDense '{equation}': `output_shape` {tuple(out)} must give one size for each output "
                         f"axis after the first ({len(out_spec) - 1} sizes).")
    for c in out_spec:  # output dims shared with the input follow it
        if c in in_pos:
            i_dim, o_dim = input_shape[in_pos[c]], full[out_pos[c]]
            if o_dim is not None and i_dim is not None and o_dim != i_dim and out_pos[c] != 0:
                raise ValueError(f"Input shape and output shape do not match at shared dimension '{c}'. Input shape "
                                 f"is {i_dim}, and output shape is {o_dim}.")
            full[out_pos[c]] = i_dim if o_dim is None or out_pos[c] == 0 else o_dim
        elif c not in w_spec:
            raise ValueError(f"Dimension '{c}' was specified in the output '{out_spec}' but has no corresponding dim "
                             f"in the input spec '{in_spec}' or weight spec '{w_spec}'")
    kernel = []
    for c in w_spec:
        if c in in_pos:
            kernel.append(input_shape[in_pos[c]])
        elif c in out_pos:
            kernel.append(full[out_pos[c]])
        else:
            raise ValueError(f"Weight dimension '{c}' did not have a match in either the input spec '{in_spec}' or "
                             f"the output spec '{out_spec}'. For this layer, the weight must be fully specified.")
    bias = None
    if bias_axes:
        for c in bias_axes:
            if c not in out_spec:
                raise ValueError(f"Bias dimension '{c}' was requested, but is not part of the output spec "
                                 f"'{out_spec}'")
        first = min(out_spec.find(c) for c in bias_axes)
        bias = [full[out_pos[c]] if c in bias_axes else 1 for c in out_spec[first:]]
        if kind == "right":
            bias += [1] * elided
    return kernel, bias, full


class EinsumDense(Layer):
    """``activation(einsum(equation, inputs, kernel) + bias)``.

    Args:
        equation: an einsum equation of the inputs and the kernel, e.g. ``"abc,cd->abd"`` (a Dense on the
            last axis of a 3-D input), ``"abc,cde->abde"`` (projection to heads), ``"...b,bc->...c"``.
        output_shape: the output shape without the batch dim (an int for one axis); None entries take
            the input's size.
        activation: applied to the result (default linear).
        bias_axes: the output axes that have a bias (e.g. ``"de"``), or None for no bias.
        kernel_initializer ('glorot_uniform'), bias_initializer ('zeros'), regularizers, constraints: as Keras.

    Input shape: as the equation's input term (batch first).
    Output shape: (batch,) + ``output_shape`` (with None filled from the input).
    Weights: kernel (shape from the equation), bias (when ``bias_axes``).
    """

    def __init__(self, equation: str, output_shape: Any, activation: Any = None, bias_axes: Optional[str] = None,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, lora_rank: Optional[int] = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(equation, str):
            raise ValueError(f"Argument `equation` must be a string. Received: equation={equation!r}")
        self.equation = equation
        self.partial_output_shape = ((output_shape,) if isinstance(output_shape, int)
                                     else tuple(output_shape))
        self.activation = activations.get(activation)
        self.bias_axes = bias_axes
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.full_output_shape: Optional[Tuple[Any, ...]] = None

    def build(self, input_shape: Any) -> None:
        kshape, bshape, full = analyze_einsum(self.equation, self.bias_axes, tuple(input_shape),
                                              self.partial_output_shape)
        if any(d is None for d in kshape) or (bshape is not None and any(d is None for d in bshape)):
            raise ValueError(f"Layer '{self.name}': the weight shape {tuple(kshape)} of equation '{self.equation}' "
                             f"has unknown dims for input shape {tuple(input_shape)}; give them in `output_shape` or "
                             "the input shape.")
        self.full_output_shape = tuple(full)
        kernel_initializer = self.kernel_initializer
        if isinstance(kernel_initializer, initializers.VarianceScaling) and (
                kernel_initializer.input_axes is None or kernel_initializer.output_axes is None):
            # as Keras: the fans come from the kernel axes the equation contracts (input units) and
            # produces (output units), not from the conv-kernel rule over the last two axes
            in_axes, out_axes = kernel_axes(self.equation)
            cfg = dict(kernel_initializer.get_config(), seed=kernel_initializer.seed, input_axes=in_axes,
                       output_axes=out_axes)
            kernel_initializer = type(kernel_initializer).from_config(cfg)
        self.kernel = self.add_weight(name="kernel", shape=tuple(kshape), initializer=kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.bias = (self.add_weight(name="bias", shape=tuple(bshape), initializer=self.bias_initializer,
                                     regularizer=self.bias_regularizer, constraint=self.bias_constraint)
                     if bshape is not None else None)
        self.built = True

    def call(self, inputs: Any, training: Any = None) -> Any:
        try:
            y = ops.einsum(self.equation, inputs, self.kernel)
        except Exception as e:  # noqa: BLE001 - re-raised with the layer's context
            raise ValueError(f"Layer '{self.name}' (equation '{self.equation}', kernel shape "
                             f"{tuple(self.kernel.shape)}) cannot be applied to inputs of shape "
                             f"{tuple(inputs.shape)}: {e}") from e
        if self.bias is not None:
            y = ops.add(y, self.bias)
        return y if self.activation is activations.linear else self.activation(y)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(analyze_einsum(self.equation, self.bias_axes, tuple(input_shape), self.partial_output_shape)[2])

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({
            "output_shape": self.partial_output_shape, "equation": self.equation,
            "activation": activations.serialize(self.activation), "bias_axes": self.bias_axes,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        })
        return cfg
