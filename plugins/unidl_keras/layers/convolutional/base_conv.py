"""Shared base of ``Conv1D``/``Conv2D``/``Conv3D`` and the argument checks every convolution and
pooling layer uses (Keras 3's rules and messages).

The math is :func:`unidl.nn.functional.conv_nd` with ``kernel_layout="io"`` (Keras's kernel
``(*kernel_size, in/groups, filters)``), the same core op the Gluon ``Conv*D`` layers call.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Sequence, Tuple

import unidl
from unidl.nn import functional as F

from ... import activations, constraints, initializers, regularizers
from ...backend import config
from ..layer import Layer


# -- argument checks (shared with the transpose/separable/depthwise and pooling layers) ---------------

def standardize_tuple(value: Any, n: int, name: str, allow_zero: bool = False) -> Tuple[int, ...]:
    """``value`` (an int or ``n`` ints) as a tuple of ``n`` ints, each > 0 (>= 0 with ``allow_zero``)."""
    if isinstance(value, int) and not isinstance(value, bool):
        t: Tuple[Any, ...] = (value,) * n
    else:
        try:
            t = tuple(value)
        except TypeError:
            raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. Received {name}={value!r}") \
                from None
        if len(t) != n or not all(isinstance(v, int) and not isinstance(v, bool) for v in t):
            raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. Received {name}={value!r}")
    bad = {v for v in t if (v < 0 if allow_zero else v <= 0)}
    if bad:
        cond = "`value >= 0`" if allow_zero else "`value > 0`"
        raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. Received {name}={value!r}, "
                         f"including values {bad} that do not satisfy {cond}")
    return tuple(int(v) for v in t)


def standardize_padding(value: Any, allow_causal: bool = False) -> str:
    """``'valid'``/``'same'`` (and ``'causal'`` where allowed), lower-cased."""
    allowed = ("valid", "same", "causal") if allow_causal else ("valid", "same")
    padding = value.lower() if isinstance(value, str) else value
    if padding not in allowed:
        names = "{" + ", ".join(repr(a) for a in allowed) + "}"
        raise ValueError(f"The `padding` argument must be one of {names}. Received: padding={value!r}")
    return padding


def check_positive(name: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"Invalid value for argument `{name}`. Expected a strictly positive value. "
                         f"Received {name}={value}.")
    return value


def check_input_rank(layer: Layer, shape: Sequence[Any], ndim: int) -> None:
    """Keras's InputSpec(ndim) check, naming the layer and the full shape."""
    if len(shape) != ndim:
        raise ValueError(f"Input 0 of layer \"{layer.name}\" is incompatible with the layer: expected ndim={ndim}, "
                         f"found ndim={len(shape)}. Full shape received: {tuple(shape)}")


def conv_output_length(n: Optional[int], k: int, padding: str, stride: int, dilation: int) -> Optional[int]:
    """Output size of one spatial dim of a convolution or pooling (TensorFlow's 'same' rule)."""
    if n is None:
        return None
    if padding in ("same", "causal"):
        return -(-n // stride)
    return (n - (k - 1) * dilation - 1) // stride + 1


def same_pads(size: Sequence[int], kernel: Sequence[int], strides: Sequence[int],
              dilation: Optional[Sequence[int]] = None) -> Tuple[Tuple[int, int], ...]:
    """(lo, hi) per spatial dim of TensorFlow's 'same' padding: the odd extra goes on the high side."""
    dilation = dilation or (1,) * len(kernel)
    out = []
    for n, k, s, d in zip(size, kernel, strides, dilation):
        total = max((-(-n // s) - 1) * s + d * (k - 1) + 1 - n, 0)
        out.append((total // 2, total - total // 2))
    return tuple(out)


def spatial_shape(shape: Sequence[Any], data_format: str) -> Tuple[Any, ...]:
    return tuple(shape[1:-1]) if data_format == "channels_last" else tuple(shape[2:])


def with_spatial(shape: Sequence[Any], spatial: Sequence[Any], channels: Any, data_format: str) -> Tuple[Any, ...]:
    if data_format == "channels_last":
        return (shape[0],) + tuple(spatial) + (channels,)
    return (shape[0], channels) + tuple(spatial)


def channels_of(shape: Sequence[Any], data_format: str) -> Any:
    return shape[-1] if data_format == "channels_last" else shape[1]


# -- the base layer -------------------------------------------------------------------------------------

class BaseConv(Layer):
    """N-d convolution ``activation(conv(inputs, kernel) + bias)``.

    Args:
        rank: number of spatial dims (1, 2 or 3).
        filters: number of output channels (positive int).
        kernel_size: an int or ``rank`` ints.
        strides: an int or ``rank`` ints (default 1). Strides > 1 cannot be combined with a
            dilation rate > 1.
        padding: ``'valid'`` (no padding) or ``'same'`` (TensorFlow's rule: output size
            ``ceil(input / stride)``, the odd extra padding on the high side); ``Conv1D`` also takes
            ``'causal'`` (left padding ``dilation * (kernel - 1)``).
        data_format: ``'channels_last'`` or ``'channels_first'`` (None: ``keras.config.image_data_format()``).
        dilation_rate: an int or ``rank`` ints.
        groups: input and output channels split into ``groups`` independent convolutions.
        activation, use_bias, kernel/bias initializers, regularizers and constraints: as ``Dense``.

    Input shape: ``(batch, *spatial, channels)`` (channels_last) or ``(batch, channels, *spatial)``.
    Output shape: the same layout with ``filters`` channels and the convolved spatial sizes.
    Weights: ``kernel`` ``(*kernel_size, channels // groups, filters)``, ``bias`` ``(filters,)``.
    """

    def __init__(self, rank: int, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: Optional[str] = None, dilation_rate: Any = 1, groups: int = 1, activation: Any = None,
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, lora_rank: Optional[int] = None,
                 lora_alpha: Optional[float] = None, **kwargs: Any) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        self.filters = check_positive("filters", filters) if filters is not None else None
        if not isinstance(groups, int) or isinstance(groups, bool) or groups <= 0:
            raise ValueError(f"The number of groups must be a positive integer. Received: groups={groups}.")
        self.groups = groups
        self.lora_rank = lora_rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else lora_rank
        self.lora_enabled = False
        self.kernel_size = standardize_tuple(kernel_size, rank, "kernel_size")
        self.strides = standardize_tuple(strides, rank, "strides")
        self.dilation_rate = standardize_tuple(dilation_rate, rank, "dilation_rate")
        self.padding = standardize_padding(padding, allow_causal=rank == 1 and self._allows_causal())
        self.data_format = config.standardize_data_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        if self.filters is not None and self.filters % self.groups:
            raise ValueError(f"The number of filters must be evenly divisible by the number of groups. "
                             f"Received: groups={self.groups}, filters={self.filters}.")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1 and self._checks_strides_with_dilation():
            raise ValueError(f"`strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                             f"Received: strides={self.strides} and dilation_rate={self.dilation_rate}")

    # hooks for the subclasses
    def _allows_causal(self) -> bool:
        return True

    def _checks_strides_with_dilation(self) -> bool:
        return True

    # -- shapes -------------------------------------------------------------------------------------
    def _input_channels(self, input_shape: Sequence[Any]) -> int:
        check_input_rank(self, input_shape, self.rank + 2)
        c = channels_of(input_shape, self.data_format)
        if c is None:
            raise ValueError(f"The channel dimension of the inputs to layer \"{self.name}\" should be defined. "
                             f"Found None. Full input shape received: {tuple(input_shape)}")
        return int(c)

    def _check_call_input(self, shape: Sequence[Any]) -> None:
        check_input_rank(self, shape, self.rank + 2)
        c = channels_of(shape, self.data_format)
        axis = -1 if self.data_format == "channels_last" else 1
        if c != self._in_channels:
            raise ValueError(f"Input 0 of layer \"{self.name}\" is incompatible with the layer: expected axis {axis} "
                             f"of input shape to have value {self._in_channels}, but received input with shape "
                             f"{tuple(shape)}")

    def _spatial_out(self, input_shape: Sequence[Any]) -> Tuple[Optional[int], ...]:
        out = tuple(conv_output_length(n, k, self.padding, s, d) for n, k, s, d in
                    zip(spatial_shape(input_shape, self.data_format), self.kernel_size, self.strides,
                        self.dilation_rate))
        if any(o is not None and o <= 0 for o in out):
            raise ValueError(f"Computed output size would be zero or negative. Received `inputs shape="
                             f"{tuple(input_shape)}`, `kernel shape={self._kernel_shape_for(input_shape)}`, "
                             f"`dilation_rate={self.dilation_rate}`, `strides={self.strides}`, "
                             f"`padding={self.padding}`.")
        return out

    def _kernel_shape_for(self, input_shape: Sequence[Any]) -> Tuple[Any, ...]:
        c = channels_of(input_shape, self.data_format)
        return self.kernel_size + (None if c is None else c // self.groups, self.filters)

    def compute_output_shape(self, input_shape: Any) -> Any:
        check_input_rank(self, input_shape, self.rank + 2)
        return with_spatial(input_shape, self._spatial_out(input_shape), self.filters, self.data_format)

    # -- weights ------------------------------------------------------------------------------------
    def build(self, input_shape: Any) -> None:
        c = self._input_channels(input_shape)
        if c % self.groups:
            raise ValueError(f"The number of input channels must be evenly divisible by the number of groups. "
                             f"Received groups={self.groups}, but the input has {c} channels (full input shape is "
                             f"{tuple(input_shape)}).")
        self._in_channels = c
        self._kernel = self.add_weight(name="kernel", shape=self.kernel_size + (c // self.groups, self.filters),
                                       initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                       constraint=self.kernel_constraint)._lay_out("conv")
        self.bias = (self.add_weight(name="bias", shape=(self.filters,), initializer=self.bias_initializer,
                                     regularizer=self.bias_regularizer, constraint=self.bias_constraint)
                     if self.use_bias else None)
        self.built = True
        if self.lora_rank:
            self.enable_lora(self.lora_rank, lora_alpha=self.lora_alpha)

    @property
    def kernel(self) -> Any:
        """The kernel variable; with LoRA, ``kernel + (lora_alpha / lora_rank) * lora_kernel_a @ lora_kernel_b``
        (a tensor in the compute dtype)."""
        kernel = self.__dict__.get("_kernel")
        if kernel is None:
            raise AttributeError("You must build the layer before accessing `kernel`.")
        if self.__dict__.get("lora_enabled"):
            delta = unidl.ops.matmul(self.lora_kernel_a, self.lora_kernel_b)
            kernel = unidl.ops.astype(unidl.ops.add(kernel, unidl.ops.multiply(delta, self.lora_alpha / self.lora_rank)),
                                      self.compute_dtype)
        return kernel

    @kernel.setter
    def kernel(self, value: Any) -> None:  # (a subclass's own build sets its kernel variable here)
        self._kernel = value

    # -- LoRA ---------------------------------------------------------------------------------------
    def enable_lora(self, rank: int, lora_alpha: Optional[float] = None, a_initializer: Any = "he_uniform",
                    b_initializer: Any = "zeros") -> None:
        """Freeze the kernel and add trainable float32 factors ``lora_kernel_a`` (*kernel_size, in/groups,
        rank) and ``lora_kernel_b`` (rank, filters): the kernel becomes ``kernel + (alpha / rank) * A @ B``."""
        if self.kernel_constraint:
            raise ValueError("Lora is incompatible with kernel constraints. In order to enable lora on this layer, "
                             "remove the `kernel_constraint` argument.")
        if not self.built:
            raise ValueError("Cannot enable lora on a layer that isn't yet built.")
        if self.lora_enabled:
            raise ValueError("lora is already enabled. This can only be done once per layer.")
        kshape = tuple(self._kernel.shape)
        self.lora_kernel_a = self.add_weight(name="lora_kernel_a", shape=kshape[:-1] + (rank,),
                                             initializer=initializers.get(a_initializer), dtype="float32",
                                             regularizer=self.kernel_regularizer)
        self.lora_kernel_b = self.add_weight(name="lora_kernel_b", shape=(rank, self.filters),
                                             initializer=initializers.get(b_initializer), dtype="float32",
                                             regularizer=self.kernel_regularizer)
        self._kernel.trainable = False
        self.lora_enabled = True
        self.lora_rank = rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else rank

    def save_own_variables(self, store: Dict[str, Any]) -> None:
        """Keras's file layout: "0" the kernel (LoRA merged in), "1" the bias (other subclasses: their
        variables in order)."""
        if not self.built:
            return
        if self.__dict__.get("lora_enabled"):
            targets = [self.kernel] + ([self.bias] if self.use_bias else [])
        else:
            targets = self._trainable_variables + self._non_trainable_variables
        for i, v in enumerate(targets):
            store[str(i)] = v.numpy()

    def load_own_variables(self, store: Dict[str, Any]) -> None:
        """Load "0" (kernel) and "1" (bias); a LoRA layer takes the file's kernel as its frozen kernel and
        restarts its factors at zero."""
        if not self.lora_enabled:
            own = self._trainable_variables + self._non_trainable_variables
            if len(store) != len(own):
                raise ValueError(f"Layer '{self.name}' expected {len(own)} variables, but received {len(store)} "
                                 f"variables during loading. Expected: {[v.name for v in own]}")
        if not self.built:
            return
        if self.__dict__.get("lora_enabled"):
            targets = [self._kernel] + ([self.bias] if self.use_bias else [])
        else:
            targets = self._trainable_variables + self._non_trainable_variables
        for i, v in enumerate(targets):
            v.assign(store[str(i)])
        if self.lora_enabled:
            self.lora_kernel_a.assign(unidl.ops.zeros_like(self.lora_kernel_a))
            self.lora_kernel_b.assign(unidl.ops.zeros_like(self.lora_kernel_b))

    # -- computation --------------------------------------------------------------------------------
    def _conv_padding(self) -> Any:
        if self.padding == "causal":
            return tuple((d * (k - 1), 0) for k, d in zip(self.kernel_size, self.dilation_rate))
        return self.padding

    def convolution_op(self, inputs: Any, kernel: Any, bias: Any = None) -> Any:
        return F.conv_nd(inputs, kernel, bias, stride=self.strides, padding=self._conv_padding(),
                         dilation=self.dilation_rate, groups=self.groups, data_format=self.data_format,
                         kernel_layout="io")

    def call(self, inputs: Any) -> Any:
        self._check_call_input(inputs.shape)
        self._spatial_out(inputs.shape)
        y = self.convolution_op(inputs, self.kernel, self.bias)
        return y if self.activation is activations.linear else self.activation(y)

    # -- config -------------------------------------------------------------------------------------
    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.pop("activity_regularizer", None)  # re-added at Keras's position below
        cfg.update({
            "filters": self.filters, "kernel_size": self.kernel_size, "strides": self.strides,
            "padding": self.padding, "data_format": self.data_format, "dilation_rate": self.dilation_rate,
            "groups": self.groups, "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        })
        if self.lora_rank:
            cfg["lora_rank"] = self.lora_rank
            cfg["lora_alpha"] = self.lora_alpha
        return cfg
