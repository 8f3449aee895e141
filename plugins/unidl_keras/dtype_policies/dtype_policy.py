"""``keras.dtype_policies.DTypePolicy``: a layer's (or loss's) compute and variable dtypes.

A policy is named by a dtype (``"float32"``, ``"float16"``, ``"bfloat16"``, ...: compute and variables in that
dtype) or by a mixed-precision name (``"mixed_float16"`` / ``"mixed_bfloat16"``: compute in the half type,
variables in float32). ``set_dtype_policy`` / ``dtype_policy`` hold the global policy that layers built
without ``dtype=`` take. Quantized policies (int8 / float8 / int4 / GPTQ / AWQ) are not supported yet and
raise NotImplementedError.
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
        if name is None:
            name = config.floatx()
        if not isinstance(name, str):
            raise TypeError(f"'name' must be a string, such as 'mixed_float16'. "
                            f"Received: name={name} (of type {type(name)})")
        self._name = name
        self._compute_dtype, self._variable_dtype = self._parse_name(name)

    def _parse_name(self, name: str):
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
        return None

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
        return f'<{type(self).__name__.replace("Float", "")} "{self._name}">'

    def __eq__(self, other: Any) -> bool:
        if type(self) is FloatDTypePolicy or type(other) is FloatDTypePolicy:
            base = (DTypePolicy, FloatDTypePolicy)
            return isinstance(other, base) and type(self) in base and self.name == other.name
        return type(self) is type(other) and self.name == other.name

    __hash__ = None  # type: ignore[assignment]  # mutable-equality object, unhashable as in Keras


class FloatDTypePolicy(DTypePolicy):
    """Kept for older code: the same as :class:`DTypePolicy` (a non-quantized policy)."""


class QuantizedDTypePolicy(DTypePolicy):
    """A quantized policy (``"int8_from_float32"``, ...): not supported yet, raises NotImplementedError."""

    def __init__(self, mode: str, source_name: Optional[str] = None, *args: Any, **kwargs: Any) -> None:
        raise _quantization_unsupported(f"{type(self).__name__}(mode={mode!r}, source_name={source_name!r})")


class QuantizedFloat8DTypePolicy(QuantizedDTypePolicy):
    """A float8 quantized policy: not supported yet."""


class Int4DTypePolicy(QuantizedDTypePolicy):
    """An int4 quantized policy: not supported yet."""


class GPTQDTypePolicy(QuantizedDTypePolicy):
    """A GPTQ quantized policy: not supported yet."""


class AWQDTypePolicy(QuantizedDTypePolicy):
    """An AWQ quantized policy: not supported yet."""


def _is_quantized_name(name: str) -> bool:
    return "_from_" in name and name.split("_from_", 1)[0].split("/")[0] in QUANTIZATION_MODES


def _from_name(name: str) -> DTypePolicy:
    if _is_quantized_name(name):
        raise _quantization_unsupported(f"dtype policy '{name}'")
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
