"""``keras.quantizers.GPTQConfig``: the settings of GPTQ post-training quantization."""
from __future__ import annotations

from typing import Any, Dict

from .quantization_config import QuantizationConfig


class GPTQConfig(QuantizationConfig):
    """GPTQ settings: ``weight_bits`` (2, 3, 4 or 8), ``group_size`` (-1: per channel), ``symmetric``,
    ``activation_order``, the calibration ``dataset``/``tokenizer`` and their sample counts.

    Layers quantized with a GPTQConfig get the GPTQ variables (packed kernel, scales, zero points, group
    indices) and use the float kernel until calibrated; the calibration pass itself
    (``model.quantize("gptq", config)``) is not provided by unidl's Keras face.
    """

    def __init__(self, dataset: Any, tokenizer: Any, *, weight_bits: int = 4, num_samples: int = 128,
                 per_channel: bool = True, sequence_length: int = 512, hessian_damping: float = 0.01,
                 group_size: int = 128, symmetric: bool = False, activation_order: bool = False,
                 quantization_layer_structure: Any = None) -> None:
        super().__init__()
        if weight_bits not in [2, 3, 4, 8]:
            raise ValueError(f"Unsupported weight_bits {weight_bits}. Supported values are 2, 3, 4, and 8.")
        if num_samples <= 0:
            raise ValueError("num_samples must be a positive integer.")
        if sequence_length <= 0:
            raise ValueError("sequence_length must be a positive integer.")
        if hessian_damping < 0 or hessian_damping > 1:
            raise ValueError("hessian_damping must be between 0 and 1.")
        if group_size < -1 or group_size == 0:
            raise ValueError("Invalid group_size. Supported values are -1 (whole-tensor) or a positive integer, "
                             f"but got {group_size}.")
        self.dataset = dataset
        self.tokenizer = tokenizer
        self.num_samples = num_samples
        self.per_channel = per_channel
        self.sequence_length = sequence_length
        self.hessian_damping = hessian_damping
        self.weight_bits = weight_bits
        self.group_size = group_size
        self.symmetric = symmetric
        self.activation_order = activation_order
        self.quantization_layer_structure = quantization_layer_structure

    def get_config(self) -> Dict[str, Any]:
        return {"dataset": None, "tokenizer": None, "weight_bits": self.weight_bits,
                "num_samples": self.num_samples, "per_channel": self.per_channel,
                "sequence_length": self.sequence_length, "hessian_damping": self.hessian_damping,
                "group_size": self.group_size, "symmetric": self.symmetric,
                "activation_order": self.activation_order,
                "quantization_layer_structure": self.quantization_layer_structure}

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "GPTQConfig":
        return cls(**config)

    @property
    def mode(self) -> str:
        return "gptq"

    def dtype_policy_string(self) -> str:
        """The policy mode string, ``"gptq/<weight_bits>/<group_size>"``."""
        return f"gptq/{self.weight_bits}/{self.group_size}"
