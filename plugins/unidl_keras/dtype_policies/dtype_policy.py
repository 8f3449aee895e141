"""``keras.dtype_policies.DTypePolicy``: a layer's (or loss's) compute and variable dtypes.

A policy is named by a dtype (``"float32"``, ``"float16"``, ``"bfloat16"``, ...: compute and variables in that
dtype) or by a mixed-precision name (``"mixed_float16"`` / ``"mixed_bfloat16"``: compute in the half type,
variables in float32). ``set_dtype_policy`` / ``dtype_policy`` hold the global policy that layers built
without ``dtype=`` take. Quantized policies (``"int8_from_float32"``, ``"int4/128_from_float32"``,
``"float8_from_mixed_bfloat16"``, ``"gptq/4/128_from_float32"``, ``"awq/4/128_from_float32"``) keep the
source policy's dtypes and tell Dense / EinsumDense / Embedding to store quantized weights.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from ..backend import config

QUANTIZATION_MODES = ("int8", "float8", "int4", "gptq", "awq")

_GLOBAL: Dict[str, Any] = {"policy": None}

_BAD_NAME = ("Cannot convert '{}' to a mixed precision DTypePolicy. Valid policies include 'mixed_float16', "
             "'mixed_bfloat16', and the name of any float dtype such as 'float32'.")


def _quantization_unsupported(what: str) -> NotImplementedError:
    return NotImplementedError(f"{what}: quantization (quantized dtype policies such as 'int8_from_float32' "
                               "or 'float8_from_mixed_float16') is not supported yet by unidl's Keras face.")


class DTypePolicy:
    """The dtypes a layer computes in (``compute_dtype``) and keeps its variables in (``variable_dtype``).

    Args:
        name: ``"float32"``, ``"float16"``, ``"bfloat16"``, ``"mixed_float16"``, ``"mixed_bfloat16"`` or
            any dtype name; default ``keras.config.floatx()``.
    """

    def __init__(self, name: Optional[str] = None) -> None:
        if isinstance(name, DTypePolicy):  # DTypePolicy(policy): a copy, as Keras accepts
            name = name.name
        if name is None:  # as Keras: the global policy's name
            name = dtype_policy().name
        if not isinstance(name, str):
            raise TypeError(f"'name' must be a string, such as 'mixed_float16'. "
                            f"Received: name={name} (of type {type(name)})")
        self._name = name
        self._compute_dtype, self._variable_dtype = self._parse_name(name)

    def _parse_name(self, name: str):
        if not isinstance(name, str):
            raise TypeError(f"'name' must be a string, such as 'mixed_float16'. Received: name={name} "
                            f"(of type {type(name)})")
        if name == "mixed_float16":
            return "float16", "float32"
        if name == "mixed_bfloat16":
            return "bfloat16", "float32"
        from ..backend.dtypes import ALLOWED_DTYPES

        if name in ALLOWED_DTYPES:  # a name Keras knows, even where unidl does not compute in it (bfloat16)
            return name, name
        try:
            dtype = config.standardize_dtype(name)
        except (TypeError, ValueError, KeyError):
            raise ValueError(_BAD_NAME.format(name)) from None
        return dtype, dtype

    @property
    def variable_dtype(self) -> str:
        """The dtype of the layer's weights (float32 under a mixed policy)."""
        return self._variable_dtype

    @property
    def compute_dtype(self) -> str:
        """The dtype the layer's computations (and its float inputs) use."""
        return self._compute_dtype

    @property
    def name(self) -> str:
        return self._name

    @property
    def quantization_mode(self) -> Optional[str]:
        """None: this policy does not quantize."""
        return self.__dict__.get("_quantization_mode")

    def convert_input(self, x: Any, autocast: bool, dtype: Any) -> Any:
        """``x`` as a tensor cast to ``dtype`` when ``autocast`` and ``x`` is floating-point; non-float
        tensors, and objects that are not arrays (lists, Python scalars), are returned unchanged."""
        import unidl
        from unidl.tensor import Tensor

        from ..backend.keras_tensor import KerasTensor

        dtype = config.standardize_dtype(dtype)
        if isinstance(x, KerasTensor):
            if self._should_cast(x, autocast, dtype):
                return KerasTensor(x.shape, dtype)
            return x
        if not isinstance(x, Tensor):
            if not hasattr(x, "__array__"):
                return x
            from ..ops import convert_to_tensor

            try:
                x = convert_to_tensor(x)
            except (TypeError, ValueError):
                return x
        if self._should_cast(x, autocast, dtype):
            x = unidl.ops.astype(x, dtype)
        return x

    @staticmethod
    def _should_cast(x: Any, autocast: bool, dtype: str) -> bool:
        x_dtype = config.standardize_dtype(x.dtype)
        return bool(autocast) and x_dtype.startswith(("float", "bfloat")) and x_dtype != dtype

    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name}

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "DTypePolicy":
        return cls(**config)

    def __repr__(self) -> str:
        cls = type(self).__name__
        return f'<{"DTypePolicy" if cls == "FloatDTypePolicy" else cls} "{self._name}">'

    def __eq__(self, other: Any) -> bool:
        if type(self) is FloatDTypePolicy or type(other) is FloatDTypePolicy:
            base = (DTypePolicy, FloatDTypePolicy)
            return isinstance(other, base) and type(self) in base and self.name == other.name
        return type(self) is type(other) and self.name == other.name

    __hash__ = None  # type: ignore[assignment]  # mutable-equality object, unhashable as in Keras


class FloatDTypePolicy(DTypePolicy):
    """Kept for older code: the same as :class:`DTypePolicy` (a non-quantized policy)."""


class QuantizedDTypePolicy(DTypePolicy):
    """A quantized policy ``"<mode>_from_<source>"`` (``"int8_from_float32"``, ``"int4_from_mixed_bfloat16"``):
    the compute and variable dtypes of ``source_name`` (default: the global policy's name), with the layer's
    weights stored quantized by ``mode`` (one of ``QUANTIZATION_MODES``)."""

    def __init__(self, mode: str, source_name: Optional[str] = None) -> None:
        if source_name is None:
            source_name = dtype_policy().name
        self._compute_dtype, self._variable_dtype = self._parse_name(source_name)
        self._check_quantization_mode(mode, self._compute_dtype)
        self._name = f"{mode}_from_{source_name}"
        self._source_name = source_name
        self._quantization_mode = mode

    @property
    def quantization_mode(self) -> Optional[str]:
        """The quantization mode (``"int8"``, ``"int4"``, ``"float8"``, ``"gptq"``, ``"awq"``)."""
        return self._quantization_mode

    def __eq__(self, other: Any) -> bool:
        if type(other) is not type(self) or self.name != other.name:
            return False
        return (self._quantization_mode == other._quantization_mode
                and self._source_name == other._source_name)

    def get_config(self) -> Dict[str, Any]:
        return {"mode": self._quantization_mode, "source_name": self._source_name}

    @staticmethod
    def _check_quantization_mode(mode: str, compute_dtype: str) -> None:
        if mode not in QUANTIZATION_MODES:
            raise ValueError(f"Invalid quantization mode. Expected one of {QUANTIZATION_MODES}. Received: mode={mode}")
        if compute_dtype == "float16" and mode == "int8":
            raise ValueError(f"Quantization mode='{mode}' doesn't work well with compute_dtype='float16'.")


class QuantizedFloat8DTypePolicy(QuantizedDTypePolicy):
    """A float8 policy (``"float8_from_float32"``): float8 (e4m3 / e5m2) fake-quantized matmuls with
    delayed scaling over an ``amax_history_length`` window."""

    default_amax_history_length = 1024

    def __init__(self, mode: str, source_name: Optional[str] = None, amax_history_length: int = 1024) -> None:
        super().__init__(mode=mode, source_name=source_name)
        if not isinstance(amax_history_length, int):
            raise TypeError(f"`amax_history_length` must be an integer. Received: "
                            f"amax_history_length={amax_history_length}")
        self._amax_history_length = amax_history_length

    @property
    def amax_history_length(self) -> int:
        """The length of the amax history window used to compute the scaling factors."""
        return self._amax_history_length

    def __eq__(self, other: Any) -> bool:
        return super().__eq__(other) and self._amax_history_length == other._amax_history_length

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg["amax_history_length"] = self._amax_history_length
        return cfg


def _mode_parts(cls_name: str, mode: str, base: str, fields: tuple) -> list:
    fmt = "'" + "/".join([base] + [f"<{f}>" for f in fields]) + "'"
    parts = mode.split("/") if isinstance(mode, str) else []
    if len(parts) != len(fields) + 1 or parts[0] != base:
        raise ValueError(f"Invalid mode for {cls_name}. Expected format {fmt}, but got '{mode}'.")
    try:
        return [int(p) for p in parts[1:]]
    except ValueError:
        names = " and ".join(f"<{f}>" for f in fields)
        verb = "must be integers" if len(fields) > 1 else "must be an integer"
        raise ValueError(f"Invalid mode for {cls_name}. {names} {verb}. Expected format {fmt}, "
                         f"but got '{mode}'.") from None


class Int4DTypePolicy(QuantizedDTypePolicy):
    """An int4 policy with its block size: ``"int4/<block_size>_from_<source>"`` (``-1``: one scale per
    output channel; a positive size: sub-channel groups of that many input rows)."""

    def __init__(self, mode: str, source_name: Optional[str] = None) -> None:
        (block_size,) = _mode_parts("Int4DTypePolicy", mode, "int4", ("block_size",))
        if block_size < -1 or block_size == 0:
            raise ValueError("Invalid block_size in mode. Supported values are -1 (per-channel) or a positive "
                             f"integer (sub-channel), but got {block_size} from '{mode}'.")
        super().__init__(mode="int4", source_name=source_name)
        self._name = f"{mode}_from_{self._source_name}"
        self.mode = "int4"
        self.block_size = block_size

    def __eq__(self, other: Any) -> bool:
        return super().__eq__(other) and self.block_size == other.block_size

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg["mode"] = f"{self.mode}/{self.block_size}"
        return cfg


class _BitsGroupPolicy(QuantizedDTypePolicy):
    _base = ""
    _bits: tuple = ()

    def __init__(self, mode: str, source_name: Optional[str] = None) -> None:
        cls_name = type(self).__name__
        weight_bits, group_size = _mode_parts(cls_name, mode, self._base, ("weight_bits", "group_size"))
        if weight_bits not in self._bits:
            if self._base == "awq":
                raise ValueError("Invalid weight_bits in mode. AWQ only supports 4-bit quantization, but got "
                                 f"{weight_bits} from '{mode}'.")
            raise ValueError("Invalid weight_bits in mode. Supported values are 2, 3, 4, and 8, but got "
                             f"{weight_bits} from '{mode}'.")
        if group_size < -1 or group_size == 0:
            raise ValueError("Invalid group_size in mode. Supported values are -1 (per-channel) or a positive "
                             f"integer, but got {group_size} from '{mode}'.")
        super().__init__(mode=self._base, source_name=source_name)
        self._name = f"{mode}_from_{self._source_name}"
        self.mode = self._base
        self.weight_bits = weight_bits
        self.group_size = group_size

    def __eq__(self, other: Any) -> bool:
        return (super().__eq__(other) and self.weight_bits == other.weight_bits
                and self.group_size == other.group_size)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg["mode"] = f"{self.mode}/{self.weight_bits}/{self.group_size}"
        return cfg


class GPTQDTypePolicy(_BitsGroupPolicy):
    """A GPTQ policy: ``"gptq/<weight_bits>/<group_size>_from_<source>"`` (bits 2, 3, 4 or 8)."""

    _base = "gptq"
    _bits = (2, 3, 4, 8)


class AWQDTypePolicy(_BitsGroupPolicy):
    """An AWQ policy: ``"awq/4/<group_size>_from_<source>"`` (4-bit only)."""

    _base = "awq"
    _bits = (4,)


def _is_quantized_name(name: str) -> bool:
    return isinstance(name, str) and name.startswith(QUANTIZATION_MODES)


def _quantized_from_name(policy: str) -> DTypePolicy:
    """The quantized policy named ``"<mode>_from_<source>"`` (Keras's ``_get_quantized_dtype_policy_by_str``)."""
    parts = policy.split("_from_")
    if len(parts) != 2:
        raise ValueError("Cannot convert `policy` into a valid pair (`mode`, `source_name`) to instantiate "
                         f"`QuantizedDTypePolicy`. Received: policy={policy}")
    mode, source_name = parts
    if policy.startswith("int4") and "/" in mode:
        return Int4DTypePolicy(mode, source_name)
    if policy.startswith("gptq"):
        return GPTQDTypePolicy(mode, source_name)
    if policy.startswith("awq"):
        return AWQDTypePolicy(mode, source_name)
    if policy.startswith("float8"):
        return QuantizedFloat8DTypePolicy(mode, source_name)
    return QuantizedDTypePolicy(mode, source_name)


def _get_quantized_dtype_policy_by_str(policy: Any) -> DTypePolicy:
    """Keras's name for :func:`_quantized_from_name` (with its argument checks)."""
    if not isinstance(policy, str):
        raise TypeError(f"`policy` must be a string. Received: policy={policy}")
    if not policy.startswith(QUANTIZATION_MODES):
        raise ValueError("`policy` is incompatible with the current supported quantization.")
    return _quantized_from_name(policy)


def _from_name(name: str) -> DTypePolicy:
    if _is_quantized_name(name):
        return _quantized_from_name(name)
    return DTypePolicy(name)


def set_dtype_policy(policy: Any) -> None:
    """Sets the global policy: the one layers created without ``dtype=`` use."""
    if not isinstance(policy, DTypePolicy):
        if isinstance(policy, str):
            policy = _from_name(policy)
        else:
            raise ValueError("Invalid `policy` argument. Expected the string name of a policy (such as "
                             f"'mixed_float16') or a `DTypePolicy` instance. Received: policy={policy} "
                             f"(of type {type(policy)})")
    _GLOBAL["policy"] = policy


def dtype_policy() -> DTypePolicy:
    """The global policy (``DTypePolicy(keras.config.floatx())`` when none was set)."""
    policy = _GLOBAL["policy"]
    if policy is None:
        policy = DTypePolicy(config.floatx())
        _GLOBAL["policy"] = policy
    return policy


def _global_policy_if_set() -> Optional[DTypePolicy]:
    return _GLOBAL["policy"]
