"""``keras.InputSpec``: the rank, dtype and shape a layer accepts, and the check that enforces it.

A ``None`` dimension in a spec's shape matches any size. ``allow_last_axis_squeeze`` lets an input of
rank N+1 with a trailing 1 (or rank N-1 where the spec ends in 1) through. Error messages are Keras's.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from ..backend.config import standardize_dtype
from ..utils import tree


def _standardize_shape(shape: Any) -> tuple:
    return tuple(None if d is None else int(d) for d in shape)


class InputSpec:
    """Specifies the rank, dtype and shape of every input to a layer.

    Args:
        dtype: expected dtype. shape: expected shape, batch axis included (``None`` = any size).
        ndim / max_ndim / min_ndim: expected, largest, smallest rank. axes: ``{axis: size}``.
        allow_last_axis_squeeze: accept a trailing axis of size 1 more or less. name: the key of this input
        when inputs are passed as a dict. optional: whether ``None`` is accepted.
    """

    def __init__(self, dtype: Any = None, shape: Any = None, ndim: Optional[int] = None,
                 max_ndim: Optional[int] = None, min_ndim: Optional[int] = None, axes: Optional[Dict[int, int]] = None,
                 allow_last_axis_squeeze: bool = False, name: Optional[str] = None, optional: bool = False) -> None:
        self.dtype = standardize_dtype(dtype) if dtype is not None else None
        if shape is not None:
            self.shape = _standardize_shape(shape)
            self.ndim = len(self.shape)
        else:
            self.shape = None
            self.ndim = ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.name = name
        self.optional = optional
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        try:
            axes = axes or {}
            self.axes = {int(k): axes[k] for k in axes}
        except (ValueError, TypeError):
            raise TypeError(f"Argument `axes` must be a dict with integer keys. Received: axes={axes}") from None
        if self.axes and (self.ndim is not None or self.max_ndim is not None):
            max_dim = (self.ndim if self.ndim else self.max_ndim) - 1
            if max(self.axes) > max_dim:
                raise ValueError(f"Axis {max(self.axes)} is greater than the maximum allowed value: {max_dim}")

    def __repr__(self) -> str:
        parts = [f"dtype={self.dtype}" if self.dtype else "", f"shape={self.shape}" if self.shape else "",
                 f"ndim={self.ndim}" if self.ndim else "", f"max_ndim={self.max_ndim}" if self.max_ndim else "",
                 f"min_ndim={self.min_ndim}" if self.min_ndim else "", f"axes={self.axes}" if self.axes else ""]
        return f"InputSpec({', '.join(p for p in parts if p)})"

    def get_config(self) -> Dict[str, Any]:
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim, "max_ndim": self.max_ndim,
                "min_ndim": self.min_ndim, "axes": self.axes, "optional": self.optional}

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "InputSpec":
        return cls(**config)


def assert_input_compatibility(input_spec: Any, inputs: Any, layer_name: str) -> None:
    """Raise ``ValueError`` where ``inputs`` break ``input_spec`` (an InputSpec, a structure of them, or None)."""
    if not input_spec:
        return
    specs = tree.flatten(input_spec)
    if isinstance(inputs, dict):
        names = [s.name for s in specs]
        if all(names):
            for n in names:
                if n not in inputs:
                    raise ValueError(f'Missing data for input "{n}". You passed a data dictionary with keys '
                                     f"{list(inputs.keys())}. Expected the following keys: {names}")
            inputs = [inputs[n] for n in names]
    flat = tree.flatten(inputs)
    if len(flat) != len(specs):
        names = [s.name for s in specs if s is not None]
        if len(names) == len(specs) and all(names):
            raise ValueError(f'Layer "{layer_name}" expects {len(specs)} named input(s) with keys {names}, but it '
                             f"received {len(flat)} input tensors. Pass inputs as a dict, e.g. `layer({{"
                             + ", ".join(f"'{n}': ..." for n in names) + "})`.")
        raise ValueError(f'Layer "{layer_name}" expects {len(specs)} input(s), but it received {len(flat)} input '
                         f"tensors. Inputs received: {flat}")
    for i, (x, spec) in enumerate(zip(flat, specs)):
        if spec is None or (x is None and spec.optional):
            continue
        if not hasattr(x, "shape"):
            raise ValueError(f"Inputs to a layer should be tensors. Got '{x}' (of type {type(x)}) as input for layer "
                             f"'{layer_name}'.")
        shape = _standardize_shape(x.shape)
        ndim = len(shape)
        where = f"Input {i} with name '{spec.name}' of layer '{layer_name}' is incompatible with the layer"
        if spec.ndim is not None and not spec.allow_last_axis_squeeze and ndim != spec.ndim:
            raise ValueError(f"{where}: expected ndim={spec.ndim}, found ndim={ndim}. Full shape received: {shape}")
        if spec.max_ndim is not None and ndim > spec.max_ndim:
            raise ValueError(f"{where}: expected max_ndim={spec.max_ndim}, found ndim={ndim}")
        if spec.min_ndim is not None and ndim < spec.min_ndim:
            raise ValueError(f"{where}: expected min_ndim={spec.min_ndim}, found ndim={ndim}. Full shape received: "
                             f"{shape}")
        if spec.dtype is not None:
            dtype = standardize_dtype(x.dtype)
            if dtype != spec.dtype:
                raise ValueError(f"{where}: expected dtype={spec.dtype}, found dtype={dtype}")
        for axis, value in (spec.axes or {}).items():
            if value is not None and shape[axis] not in {value, None}:
                raise ValueError(f"{where}: expected axis {axis} of input shape to have value {value}, but received "
                                 f"input with shape {shape}")
        if spec.shape is not None:
            spec_shape = spec.shape
            if spec.allow_last_axis_squeeze:
                if shape and shape[-1] == 1:
                    shape = shape[:-1]
                if spec_shape and spec_shape[-1] == 1:
                    spec_shape = spec_shape[:-1]
            for want, got in zip(spec_shape, shape):
                if want is not None and got is not None and want != got:
                    raise ValueError(f"{where}: expected shape={spec.shape}, found shape={shape}")
